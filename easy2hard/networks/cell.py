"""One cell of a network sweep as one library entry point: every run with this (N, width m,
depth L), trained in lockstep, as the tidy table the stage writes (one row per run and
logged step, with the settings that made it)."""

from __future__ import annotations

import itertools
import logging

import pandas as pd

from ..core import mixed_cumulant as mcm
from ..core.lockstep import Run
from . import models as networks
from . import training
from .names import RUN_GRID

log = logging.getLogger(__name__)


def runs_of(spec: dict) -> list[Run]:
    """Every run of a cell, grouped by activation (one σ call per group)."""
    return [Run(seed=s, activation=a, t=t, lr=lr)
            for a, t, lr, s in itertools.product(*(spec[k] for k in RUN_GRID))]


def settings_columns(table: pd.DataFrame, spec: dict, arch: networks.Arch) -> pd.DataFrame:
    """``table`` with the cell's settings as columns: the times actually used (c's time and
    the test losses' time; null in the config = the run's t) and the chance overlap
    E max over m random neurons of |cos(w_i, v)|."""
    for key, value in dict(N=arch.N, model=arch.model, m=arch.m, L=arch.L,
                           optimizer=spec["optimizer"], batch=spec["batch"],
                           beta_u=spec["beta_u"], beta_v=spec["beta_v"], latent=spec["latent"],
                           linear_map=spec["linear_map"]).items():
        table[key] = value
    table["beta_v"] = table["beta_v"].astype(float)
    table["mean_shift"] = float(spec["mean_shift"])
    table["output_bias"] = spec["output_bias"]
    table["c_time"] = table["t"] if spec["c_time"] is None else float(spec["c_time"])
    table["eval_t"] = table["t"] if spec["eval_t"] is None else float(spec["eval_t"])
    table["chance_overlap"] = networks.chance_overlap(arch.N, arch.m)
    return table


def run_cell(sweep: str, spec: dict, N: int, m: int, L: int, device) -> pd.DataFrame:
    """Train every run of one cell of network sweep ``sweep`` (its validated spec) and
    return the stage's table for it."""
    arch = networks.Arch(spec["model"], N, m, L, linear_map=spec["linear_map"])
    data = mcm.MCM(N=N, beta_u=spec["beta_u"], beta_v=spec["beta_v"], latent=spec["latent"],
                   correlated=spec["correlated"], mean_shift=spec["mean_shift"])
    runs = runs_of(spec)
    settings = training.Settings.from_spec(spec)
    source = training.MCMSource(data, [r.seed for r in runs], spec["spikes"], spec["target"])
    log.info("%s: %s N=%d m=%d L=%d, %d runs x %d steps on %s; %s", sweep, arch.model, N, m, L,
             len(runs), spec["steps"], device, settings)
    table = training.train(arch, runs, source, settings, device=device)
    table.insert(0, "sweep", sweep)
    table = settings_columns(table, spec, arch)
    final = table[table.step == table.step.max()]
    log.info("final overlap_v by activation:\n%s",
             final.groupby("activation")["overlap_v"].describe().to_string())
    return table
