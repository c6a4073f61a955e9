"""Plan of the fourier stage (docs/science.md §12): amplitudes before phases.

Paths, under ``results``:
  clones/{dataset}/{amplitude,phase,amplitude_swap,amplitude_whitened}.npy  Fourier clones
  fourier/{dataset}/examples.parquet                      a few test images and their clones
  fourier/{dataset}/covariance.parquet                    each clone's covariance mismatch
  fourier/{dataset}/tracking.parquet                      U-Net loss gaps of each set to test
  fourier/synthetic/N{N}.parquet                          one lockstep cell per N (α x seeds)
  fourier/synthetic/examples.parquet                      signals of the model and its clone
  fourier/synthetic/thresholds.parquet                    n* per (N, α)
  figures/fourier_examples_{dataset}, fourier_clone_gaps_{dataset},
          fourier_phase_gap, fourier_phase_threshold      (.pdf, .png)
"""

from __future__ import annotations

from .stage import Stage

from . import images
from .common import figure_files, without

CLONES = images.FOURIER_CLONES
SETS = ("meancov", *CLONES)  # the sets the gap figure compares with test


def clone_files(cfg: dict, results: str, dataset: str) -> dict:
    return {c: f"{results}/clones/{dataset}/{c}.npy" for c in cfg["fourier"]["clones"]}


def tracked_runs(cfg: dict, dataset: str) -> list[str]:
    """U-Net runs on ``dataset`` that evaluate at least one Fourier clone."""
    return images.fourier_runs(cfg, dataset)


def covariance_inputs(cfg: dict, results: str, dataset: str) -> dict:
    """The test and train splits, every Gaussian clone and every Fourier clone."""
    return {"test": f"{results}/data/{dataset}/test.npy",
            "train": f"{results}/data/{dataset}/train.npy",
            **{c: f"{results}/clones/{dataset}/{c}.npy" for c in images.CLONES},
            **clone_files(cfg, results, dataset)}


def tracking_inputs(cfg: dict, results: str, dataset: str) -> list[str]:
    return [f"{images.run_dir(results, dataset, r)}/losses.parquet" for r in tracked_runs(cfg, dataset)]


def synthetic_cells(cfg: dict, results: str) -> list[str]:
    return [f"{results}/fourier/synthetic/N{N}.parquet" for N in cfg["fourier"]["synthetic"]["N"]]


def synthetic_spec(cfg: dict) -> dict:
    """What one cell's table depends on (the N list only adds cells; margin only the figure)."""
    return without(cfg["fourier"]["synthetic"], "N", "margin")


def image_targets(cfg: dict, results: str) -> list[str]:
    out = []
    if not cfg["fourier"]["clones"]:
        return out
    for dataset in cfg["datasets"]["build"]:
        out += list(clone_files(cfg, results, dataset).values())
        out.append(f"{results}/fourier/{dataset}/covariance.parquet")
        out += figure_files(results, f"fourier_examples_{dataset}")
    for dataset in images.datasets(cfg):
        if tracked_runs(cfg, dataset):
            out.append(f"{results}/fourier/{dataset}/tracking.parquet")
            out += figure_files(results, f"fourier_clone_gaps_{dataset}")
    return out


def targets(cfg: dict, results: str) -> list[str]:
    """Fourier clones and their figures for every dataset; the synthetic sweep's figures."""
    out = image_targets(cfg, results)
    if cfg["fourier"]["synthetic"]["N"]:
        out += synthetic_cells(cfg, results)
        out.append(f"{results}/fourier/synthetic/thresholds.parquet")
        out += figure_files(results, "fourier_phase_gap")
        out += figure_files(results, "fourier_phase_threshold")
    return out


STAGE = Stage(name="fourier", targets=targets)
