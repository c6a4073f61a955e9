"""Settings of one-neuron MCM training, shared by both engines (no torch: the reduced engine
and the sweep expansion import them without the full engine)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class NeuronRun:
    """The per-run settings of one lockstep run (one row group of the output table)."""

    seed: int
    activation: str = "sigma_star"
    projection: str = "sphere"
    latent: str = "rademacher"
    correlated: bool = False
    beta_u: float = 0.0
    beta_v: float = math.inf
    t: float = 0.1
    lr: float = 0.01


@dataclass(frozen=True)
class Cell:
    """Settings shared by all runs of a cell (one N)."""

    N: int
    steps: int
    batch: int = 1
    spikes: str = "axes"
    mean_shift: float = 0.0
    latent_a: float = 0.1
    student_df: float = 5.0
    z: str = "integrated"
    gh_order: int = 24
    w_init_norm: float = 1.0
    log_points: int = 40
    eval_samples: int = 0
