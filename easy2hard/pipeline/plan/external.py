"""Plan of the U-Net runs whose checkpoints were trained elsewhere (``unet.runs.<run>.external``).

Such a run has no training job: its steps are the ``checkpoint-<step>/`` folders found under
``external.path`` (or the one model there), each evaluated by one ``unet_evaluate_external`` job whose
inputs are that folder's ``config.json`` and weights, so an added checkpoint folder adds one
evaluation (and reruns the merged tables, claims and figures), and a changed one reruns its
own. Its folders are read (JSON and listings only) when the workflow is planned
(:func:`folder_problems`), before any job; the config validator checks only what the config
says (:func:`config_problems`), so the shipped example validates without the model.
"""

from __future__ import annotations

from ...images import external, folder


def is_external(spec: dict) -> bool:
    return bool(spec.get("external", {}).get("path"))


def external_runs(cfg: dict) -> dict[str, dict]:
    return {run: spec for run, spec in cfg["unet"]["runs"].items() if is_external(spec)}


def steps(spec: dict) -> list[int]:
    return list(external.checkpoints(spec["external"]))


def model_folder(spec: dict, step) -> str:
    return str(external.checkpoints(spec["external"])[int(step)])


def model_files(spec: dict, step) -> dict:
    """The inputs of one checkpoint's evaluation: its ``config.json`` and weights."""
    folder = external.checkpoints(spec["external"]).get(int(step))
    weights = external.weights_file(folder) if folder is not None else None
    if weights is None:
        return {}
    return {"model_config": str(folder / "config.json"), "model_weights": str(weights)}


def dataset_channels(dataset_spec: dict) -> int:
    """Image channels of a dataset: 3 for a folder dataset with ``color: rgb``, else 1."""
    return 3 if folder.is_folder(dataset_spec) and dataset_spec.get("color") == "rgb" else 1


def config_problems(run: str, spec: dict) -> list[str]:
    """An external run evaluates one model per step: one seed (the seed picks the training
    subset that the train set and the reference denoisers use)."""
    if len(spec["seeds"]) != 1:
        return [f"config key 'unet.runs.{run}.seeds': {spec['seeds']} for a run with "
                f"external checkpoints; allowed: one seed (there is one model per step)"]
    return []


def folder_problems(cfg: dict) -> list[str]:
    """Every external run's folders against its ``ddpm`` block and its dataset."""
    out = []
    for run, spec in external_runs(cfg).items():
        data = cfg["datasets"][spec["dataset"]]
        out += external.problems(run, spec, spec["dataset"], data["size"], dataset_channels(data))
    return out


#: a wildcard constraint that admits no name
NO_NAME = "(?!)"


def run_pattern(cfg: dict, external: bool) -> str:
    """The ``run`` constraint of ``unet_evaluate`` (trained runs) or
    ``unet_evaluate_external`` (runs of external checkpoints): each evaluation has one rule."""
    names = [r for r, s in cfg["unet"]["runs"].items() if is_external(s) == external]
    return "|".join(names) if names else NO_NAME


def evaluate_param(cfg: dict):
    """The ``external`` param of ``unet_evaluate_external``: the job's model folder and where
    its schedule comes from."""
    from .images import run_spec

    def value(wildcards):
        spec = run_spec(cfg, wildcards.run, wildcards.dataset)
        return {"folder": model_folder(spec, wildcards.step),
                "scheduler": external.scheduler_note(spec["external"])}
    return value
