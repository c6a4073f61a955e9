"""Checkpoints trained elsewhere (``unet.runs.<run>.external``): diffusers ``UNet2DModel``
folders evaluated like the pipeline's own checkpoints.

``external.path`` is one ``save_pretrained`` model folder (``config.json`` and the weights),
a pipeline folder holding ``unet/`` (and ``unet_ema/``), or a folder of ``checkpoint-<step>/``
folders as diffusers' training scripts save them (``checkpoint-<step>/unet/`` and
``unet_ema/``; ``external.weights`` picks ``unet_ema`` or ``unet``). The scheduler is read
from ``<path>/scheduler/scheduler_config.json`` or ``<path>/scheduler_config.json`` where
present (the training scripts' checkpoints have none: the run's ``ddpm`` block is then used,
and the evaluation log says so).

Everything here but :func:`load_model` reads JSON and folder listings only (no torch, no
diffusers), so the workflow checks a run's folders when it is planned, before any job.
Weights are read from safetensors or with ``torch.load(weights_only=True)``: nothing from a
user's folder is unpickled as code.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

#: a checkpoint folder of diffusers' training scripts
CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
#: the weight files of a ``save_pretrained`` model folder, in order of preference
WEIGHT_FILES = ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin")
#: the model subfolder of each ``external.weights`` setting
SUBFOLDER = {"ema": "unet_ema", "raw": "unet"}
SCHEDULER_FILES = ("scheduler/scheduler_config.json", "scheduler_config.json")


def model_folder(folder: Path, weights: str) -> Path:
    """The model folder in ``folder``: itself when it holds a ``config.json``, else its
    ``unet_ema/`` (weights ema) or ``unet/`` (weights raw)."""
    return folder if (folder / "config.json").is_file() else folder / SUBFOLDER[weights]


def checkpoints(external: dict) -> dict[int, Path]:
    """{step: model folder}: every ``checkpoint-<step>/`` under ``external.path``, or the one
    model at ``path`` (labelled ``external.step``) when there is none; {} when the path is
    not a folder."""
    root = Path(external["path"])
    if not root.is_dir():
        return {}
    found = {int(m.group(1)): d for d in root.iterdir()
             if d.is_dir() and (m := CHECKPOINT.match(d.name))}
    if not found:
        found = {int(external["step"]): root}
    return {step: model_folder(found[step], external["weights"]) for step in sorted(found)}


def weights_file(folder: Path) -> Path | None:
    return next((folder / n for n in WEIGHT_FILES if (folder / n).is_file()), None)


def scheduler_file(external: dict) -> Path | None:
    root = Path(external["path"])
    return next((root / n for n in SCHEDULER_FILES if (root / n).is_file()), None)


def read_json(path: Path, key: str) -> tuple[dict | None, str | None]:
    try:
        return json.loads(Path(path).read_text()), None
    except (OSError, ValueError) as exc:
        return None, f"config key '{key}': cannot read {path}: {exc}"


def scheduler_mismatches(sched: dict, ddpm: dict) -> list[tuple[str, object, str, object]]:
    """(their name, their value, our key, our value) of every setting of a diffusers
    scheduler config that differs from the run's ``ddpm`` block (linear β, ε-prediction)."""
    pairs = [("num_train_timesteps", sched.get("num_train_timesteps", 1000), "ddpm.T", ddpm["T"]),
             ("beta_start", sched.get("beta_start", 1e-4), "ddpm.beta_min", ddpm["beta_min"]),
             ("beta_end", sched.get("beta_end", 0.02), "ddpm.beta_max", ddpm["beta_max"]),
             ("beta_schedule", sched.get("beta_schedule", "linear"), "the schedule", "linear"),
             ("prediction_type", sched.get("prediction_type", "epsilon"), "the prediction",
              "epsilon")]
    return [p for p in pairs if not _same(p[1], p[3])]


def model_mismatches(config: dict, size: int, channels: int) -> list[tuple[str, object, str, object]]:
    """The same for a ``UNet2DModel`` config against the run's dataset."""
    sample = config.get("sample_size")
    sample = sample[0] if isinstance(sample, (list, tuple)) and len(set(sample)) == 1 else sample
    pairs = [("sample_size", sample, "size", size),
             ("in_channels", config.get("in_channels", 3), "channels", channels),
             ("out_channels", config.get("out_channels", 3), "channels", channels)]
    return [p for p in pairs if sample is not None or p[0] != "sample_size"
            if not _same(p[1], p[3])]


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9)
    return a == b


def problems(run: str, spec: dict, dataset: str, size: int, channels: int) -> list[str]:
    """Every problem of run ``run``'s external checkpoints, each one line naming the key,
    the file and both values: a missing folder or weights, a scheduler or model config
    that does not fit the run's ``ddpm`` block or the dataset."""
    ext, key = spec["external"], f"unet.runs.{run}.external.path"
    found = checkpoints(ext)
    if not found:
        return [f"config key '{key}': {ext['path']} is not a folder"]
    out = []
    sched_path = scheduler_file(ext)
    if sched_path is not None:
        sched, err = read_json(sched_path, key)
        out += [err] if err else [
            f"config key 'unet.runs.{run}.{ours}' is {mine!r}, but {sched_path} has {name} "
            f"{theirs!r}: evaluate with the schedule the model was trained with"
            for name, theirs, ours, mine in scheduler_mismatches(sched, spec["ddpm"])]
    for step, folder in found.items():
        out += folder_problems(run, folder, dataset, size, channels, ext["weights"])
    return out


def folder_problems(run: str, folder: Path, dataset: str, size: int, channels: int,
                    weights: str) -> list[str]:
    """One model folder: its ``config.json`` and weights exist and fit the dataset."""
    key = f"unet.runs.{run}.external"
    if not (folder / "config.json").is_file():
        return [f"config key '{key}.weights': {weights} weights need {folder}/config.json, "
                f"which is missing (a save_pretrained folder; weights: raw reads unet/, ema "
                f"reads unet_ema/)"]
    if weights_file(folder) is None:
        return [f"config key '{key}.path': {folder} holds none of {', '.join(WEIGHT_FILES)}"]
    config, err = read_json(folder / "config.json", f"{key}.path")
    if err:
        return [err]
    return [f"config key 'datasets.{dataset}' has {ours} {mine!r}, but {folder}/config.json "
            f"has {name} {theirs!r}" for name, theirs, ours, mine in
            model_mismatches(config, size, channels)]


def scheduler_note(external: dict) -> str:
    """Where the evaluation's schedule comes from (one log line)."""
    found = scheduler_file(external)
    if found is not None:
        return f"scheduler config {found} (checked against the run's ddpm block when planned)"
    return (f"no scheduler config under {external['path']} (scheduler/scheduler_config.json): "
            f"the run's ddpm block (T, beta_min, beta_max, epsilon prediction) is used")


def load_weights(folder) -> dict:
    """The state dict of a model folder: safetensors, or ``torch.load(weights_only=True)``."""
    path = weights_file(Path(folder))
    if path is None:
        raise FileNotFoundError(f"{folder} holds none of {', '.join(WEIGHT_FILES)}")
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(str(path))
    import torch

    return torch.load(path, map_location="cpu", weights_only=True)


def load_model(folder, device="cpu"):
    """The ``UNet2DModel`` of a model folder as ``model(x, k) -> ε̂``, in eval mode."""
    from diffusers import UNet2DModel

    from .diffusers_unet import EpsModel

    config = json.loads((Path(folder) / "config.json").read_text())
    unet = UNet2DModel.from_config(config)
    unet.load_state_dict(load_weights(folder))
    return EpsModel(unet).to(device).eval()


def evaluate_folder(folder, files: dict, spec: dict, ev: dict, seed: int, device="cpu"):
    """The evaluation table of one model folder, as ``unet_evaluate`` makes it for a trained
    checkpoint: every set of ``ev`` (paths in ``files``; train = the run's training subset
    of seed ``seed``) with common random numbers, beside the reference denoisers' losses."""
    from ..core.tables import read_parquet
    from .datasets import load_split
    from .evaluation import evaluate
    from .training import schedule, training_subset

    sets = {}
    for name in dict.fromkeys(["test", *ev["sets"]]):  # test first: the reference
        images = load_split(files[name])
        if name == "train":
            images = images[training_subset(len(images), spec["train_subset"], seed)]
        sets[name] = images
    reference = read_parquet(files["reference"]) if ev["reference"] else None
    table = evaluate(load_model(folder, device), sets, ev["n_images"], ev["fixed_k"],
                     schedule(spec), ev["seed"], batch=ev["batch"], device=device,
                     denoisers=reference)
    return table if "test" in ev["sets"] else table[table.set != "test"]
