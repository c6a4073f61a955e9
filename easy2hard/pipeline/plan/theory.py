"""Plan of the theory stage: Hermite tables, k*, the landscape L(m), the radial term, figures."""

from __future__ import annotations

import math

from ...core import ou
from ..unit_costs import unit
from . import mcm
from .common import figure_files, path, per_job, pick
from .stage import Claim, Cost, Figure, Job, Stage

TABLES = ("hermite", "exponents", "landscape", "radial")
FIGURES = ("radial_term", "hermite_coefficients", "loss_landscape")
TABLE = "theory/{name}.parquet"
SWEEP_EXPONENTS = "theory/sweeps/{sweep}.parquet"
DYNAMICS = "theory/dynamics/{sweep}.parquet"


def table(results: str, name: str) -> str:
    """One of the theory stage's own tables (``TABLES``)."""
    return path(results, TABLE, name=name)



def hermite_params(cfg: dict) -> dict:
    """The keys of config theory that the Hermite, k* and L(m) tables depend on."""
    return pick(cfg["theory"], "activations", "t", "kmax", "order", "latents", "m_points")



def radial_params(cfg: dict) -> dict:
    """The keys of config theory that the radial term L_0(r) depends on."""
    return pick(cfg["theory"], "activations", "t", "r", "radial_beta_v", "order")


def targets(cfg: dict, results: str) -> list[str]:
    out = [table(results, name) for name in TABLES]
    return out + [f for name in FIGURES for f in figure_files(results, name)]


def check(cfg: dict) -> list[str]:
    """Correlated latents need a covariance spike to correlate with; the r grid is not empty."""
    out = [f"config key 'theory.latents.{name}': correlated latents need beta_u > 0; "
           f"allowed: beta_u > 0 with correlated: true"
           for name, spec in cfg["theory"]["latents"].items()
           if spec["correlated"] and not spec["beta_u"] > 0]
    r = cfg["theory"]["r"]
    if not 0 < r["min"] < r["max"]:
        out.append(f"config key 'theory.r': need 0 < min < max, got min={r['min']}, "
                   f"max={r['max']}; allowed: 0 < min < max")
    return out


def table_inputs(*names: str):
    """The inputs function of a figure that reads these theory tables, one group each."""
    return lambda cfg, results: {name: [table(results, name)] for name in names}


def sde_threshold_inputs(cfg: dict, results: str) -> dict:
    """mcm/thresholds.parquet and the cells it summarises (the MCM stage's tables), when this
    config makes them."""
    if not cfg["mcm"]["enabled"] or "mcm_threshold_scaling" not in cfg["mcm"]["figures"]:
        return {}
    sweeps = mcm.figure_sweeps(cfg, "mcm_threshold_scaling")
    return {"thresholds": [path(results, mcm.THRESHOLDS)],
            "tables": mcm.tables(cfg, sweeps, results)}


SDE_THRESHOLD = Claim(
    id="theory.sde_threshold",
    statement="The overlap SDE (drift and noise of the one-neuron online SGD, no parameter "
              "fitted to the simulation) predicts the simulated threshold n* of every cell.",
    source="the project's overlap SDE (docs/science.md; easy2hard.theory.dynamics) against "
           "the MCM stage's simulations (mcm/thresholds.parquet)",
    prediction="Σ z² of ln(n*_sim/n*_SDE) over the cells ≤ χ²_0.95(cells), "
               "z = ln ratio / sqrt(σ_sim² + σ_SDE²) from the tables' intervals",
    control="the drift-only SDE (no noise term): its Σ z² with the same denominators must "
            "exceed the bound",
    calibration="every scored cell's seed-mean overlap crosses the level within its budget",
    evaluate="easy2hard.theory.claims:sde_threshold", inputs=sde_threshold_inputs,
    params=lambda cfg: {"interval": mcm.threshold_params(cfg)["bootstrap"]["ci"]},
    figure="mcm_threshold_scaling")


def _sde_settings(spec: dict) -> tuple[int, int, int]:
    """(settings per t and latent kind, one-overlap kinds, two-overlap kinds) of a sweep that
    the overlap SDE covers, as ``easy2hard.theory.dynamics.sweep_settings`` (batch 1, z
    integrated, the sphere projection, no mean shift; correlated latents are two-overlap)."""
    if (spec["batch"] != 1 or spec["z"] != "integrated" or "sphere" not in spec["projection"]
            or float(spec["mean_shift"]) != 0):
        return 0, 0, 0
    pairs = sum(1 for c in spec["correlated"] if c)
    others = math.prod(len(spec[k]) for k in ("activation", "latent", "beta_u", "beta_v"))
    return others, len(spec["correlated"]) - pairs, pairs


def sde_cost(cfg: dict, sweep: str) -> Cost:
    """The overlap-SDE job (rule theory_dynamics) of one MCM sweep: per setting a coefficient
    table, then ``paths`` paths x 2 forms (SDE and drift only) per N, each path's steps growing
    with its sample budget in drift time, c n_max (c = lr Δ_t e^-t; ``benchmarks/sde_paths.py``)."""
    spec = cfg["mcm"]["sweeps"][sweep]
    others, single, pairs = _sde_settings(spec)
    paths, cells = cfg["theory"]["dynamics"]["paths"], mcm.sweep_cells(cfg, sweep)
    budget = sum(1 + lr * ou.delta(t) * math.exp(-t) * n for t in spec["t"] for _, lr, n in cells)
    per_path = single * unit("sde_path") + pairs * unit("sde_path_2d")
    tables = len(spec["t"]) * (single * unit("sde_table") + pairs * unit("sde_table_2d"))
    return Cost(unit("sde_start") + others * (2 * paths * budget * per_path + tables),
                "theory.dynamics.paths",
                f"{paths} paths x {len(cells)} N x {others * len(spec['t']) * (single + pairs)} "
                f"settings, c n_max summed {budget:.3g}")


def _tables_cost(cfg: dict, **wildcards) -> Cost:
    """One-dimensional Gaussian integrals: seconds."""
    return Cost(unit("small_job"), "theory", "1-D quadratures")


JOBS = {
    "theory_hermite": Job(
        outputs={name: TABLE.format(name=name) for name in TABLES[:3]},
        cost=lambda cfg: Cost(unit("hermite_tables"), "theory.activations", "1-D quadratures"),
        params=lambda cfg: {"theory": hermite_params(cfg)}),
    "theory_sweep_exponents": Job(
        outputs={"table": SWEEP_EXPONENTS}, cost=_tables_cost,
        params=lambda cfg: {"spec": per_job(mcm.sweep_spec, cfg, "sweep"),
                            **pick(cfg["theory"], "kmax", "order")}),
    "theory_dynamics": Job(
        outputs={"table": DYNAMICS}, cost=lambda cfg, sweep: sde_cost(cfg, sweep),
        params=lambda cfg: {"spec": per_job(mcm.sweep_spec, cfg, "sweep"),
                            "cells": per_job(mcm.sweep_cells, cfg, "sweep"),
                            "dynamics": cfg["theory"]["dynamics"]}),
    "theory_radial": Job(
        outputs={"table": TABLE.format(name="radial")}, cost=_tables_cost,
        params=lambda cfg: {"theory": radial_params(cfg)}),
}

STAGE = Stage(
    name="theory", targets=targets, check=check, jobs=JOBS, claims=(SDE_THRESHOLD,),
    figures=(
        Figure("radial_term", "easy2hard.theory.plots:radial_term", table_inputs("radial"),
               category="Theory"),
        Figure("hermite_coefficients", "easy2hard.theory.plots:hermite_coefficients",
               table_inputs("hermite", "exponents"), category="Theory"),
        Figure("loss_landscape", "easy2hard.theory.plots:loss_landscape",
               table_inputs("landscape", "exponents"), category="Theory"),
    ),
)
