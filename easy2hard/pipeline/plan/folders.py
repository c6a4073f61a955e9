"""Plan of the datasets of the user's own images (``datasets.<name>.kind: folder``).

Their names come from the config, so the dataset wildcard admits the built-in names and
the config's folder datasets (:func:`admit`, called once when the workflow is parsed).
The config validator checks names only (:func:`name_problems`, so the shipped examples
validate on a machine without the images); the folders themselves are read when the
workflow is planned (:func:`folder_problems`), before any job.
"""

from __future__ import annotations

from ...images import folder
from ...images.datasets import DATASETS
from . import fourier, images
from .common import pattern


def folder_datasets(cfg: dict) -> list[str]:
    """Names of the folder datasets that are built or trained on."""
    used = set(cfg["datasets"]["build"]) | {s["dataset"] for s in cfg["unet"]["runs"].values()}
    return sorted(n for n in used if n not in DATASETS and n in cfg["datasets"]
                  and isinstance(cfg["datasets"][n], dict) and folder.is_folder(cfg["datasets"][n]))


def name_problems(cfg: dict) -> list[str]:
    """Every dataset named in datasets.build or a U-Net run is built in or configured."""
    known = set(DATASETS) | {n for n, s in cfg["datasets"].items()
                             if isinstance(s, dict) and folder.is_folder(s)}
    allowed = f"allowed: {', '.join(DATASETS)} or a key datasets.<name> with kind: folder"
    out = [f"config key 'datasets.build': unknown dataset {n!r}; {allowed}"
           for n in cfg["datasets"]["build"] if n not in known]
    out += [f"config key 'unet.runs.{run}.dataset': unknown dataset {s['dataset']!r}; {allowed}"
            for run, s in cfg["unet"]["runs"].items() if s["dataset"] not in known]
    return out


def folder_problems(cfg: dict) -> list[str]:
    """Every used folder dataset's folder exists and holds enough readable images."""
    return [msg for n in folder_datasets(cfg) for msg in folder.problems(n, cfg["datasets"][n])]


def dataset_spec(cfg: dict):
    """The ``spec`` param of a dataset's job: its config block, and for a folder dataset the
    fingerprint of its files (so a changed image reruns the dataset and what reads it)."""
    def value(wildcards):
        spec = cfg["datasets"][wildcards.dataset]
        if not folder.is_folder(spec):
            return spec
        return {**spec, "fingerprint": folder.fingerprint(folder.scan(spec))}
    return value


def admit(cfg: dict) -> str:
    """Let the dataset wildcard (rules and figures) admit the config's folder datasets;
    returns the pattern. Called once per parse of the workflow, before its rules."""
    images.DATASET_PATTERN = pattern([*DATASETS, *folder_datasets(cfg)])
    for fig in images.FIGURES + fourier.DATASET_FIGURES:
        if "dataset" in fig.wildcards:
            fig.wildcards["dataset"] = images.DATASET_PATTERN
    return images.DATASET_PATTERN


def diffusers_problems(run: str, spec: dict, size: int) -> list[str]:
    """A diffusers U-Net's levels, attention list and groups fit the image and each other."""
    d, key = spec["model"]["diffusers"], f"config key 'unet.runs.{run}.model.diffusers"
    levels, out = len(d["block_out_channels"]), []
    if size % 2 ** (levels - 1):
        out.append(f"{key}.block_out_channels': {levels} levels downsample {levels - 1} times, "
                   f"but datasets.{spec['dataset']}.size is {size}; allowed: a size divisible "
                   f"by {2 ** (levels - 1)}")
    if d["attention"] and len(d["attention"]) != levels:
        out.append(f"{key}.attention': {len(d['attention'])} entries for {levels} levels; "
                   f"allowed: one per entry of block_out_channels, or []")
    if any(c % d["norm_num_groups"] for c in d["block_out_channels"]):
        out.append(f"{key}.norm_num_groups': {d['norm_num_groups']} does not divide "
                   f"block_out_channels {d['block_out_channels']}")
    return out
