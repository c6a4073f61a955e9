"""Plan of the random_features stage (docs/science.md §13): one learning-curve table per
(curve, d), the m = 1 convergence check per d, the d -> inf limit table, one phase diagram per
(activation, t), the samples, and five figures. Nothing is planned unless
random_features.enabled."""

from __future__ import annotations

import math

from ...core.activation_names import NAMES as ACTIVATIONS
from ...random_features.cells import (CONVERGENCE_M, INF, SAMPLE_MODELS, convergence_cells,
                                      curve_cells, phase_cells, sizes)
from ..unit_costs import unit
from .common import figure_files, path, pattern, per_job, pick
from .stage import Claim, Cost, Figure, Job, Stage

CURVES = ("psi_p", "psi_n")
#: the wildcard constraints of the curve and activation names
CURVE_PATTERN = pattern(CURVES)
ACTIVATION_PATTERN = pattern(ACTIVATIONS)
MODEL_KEYS = ("activation", "t", "seeds", "m", "lambdas", "hermite_order", "quadrature_nodes",
              "eval_points")
SOLVER_KEYS = ("hermite_order", "quadrature_nodes", "eval_points")
CATEGORY = "Random features"
CURVE = "random_features/curves/{curve}_d{d}.parquet"
CONVERGENCE = "random_features/convergence/d{d}.parquet"
LIMIT = "random_features/limit.parquet"
PHASE = "random_features/phase/{activation}_t{t}.parquet"
SAMPLES = "random_features/samples.parquet"


def curve_tables(cfg: dict, results: str) -> list[str]:
    return [path(results, CURVE, curve=c, d=d) for c in CURVES
            for d in cfg["random_features"]["dims"]]


def convergence_tables(cfg: dict, results: str) -> list[str]:
    return [path(results, CONVERGENCE, d=d) for d in cfg["random_features"]["convergence"]["dims"]]


def phase_settings(cfg: dict) -> list[tuple[str, float]]:
    """(activation, t) of the phase diagrams: every phase time with the stage's activation,
    and every phase activation at the stage's t."""
    rf = cfg["random_features"]
    pairs = ([(rf["activation"], float(t)) for t in rf["phase"]["times"]]
             + [(a, float(rf["t"])) for a in rf["phase"]["activations"]])
    return list(dict.fromkeys(pairs))


def phase_table(results: str, activation: str, t: float) -> str:
    return path(results, PHASE, activation=activation, t=f"{t:g}")


def phase_tables(cfg: dict, results: str) -> list[str]:
    return [phase_table(results, a, t) for a, t in phase_settings(cfg)]


def curve_params(cfg: dict, curve: str) -> dict:
    """What one curve table depends on: the model keys and that curve's spec (not the dims)."""
    rf = cfg["random_features"]
    return {**pick(rf, *MODEL_KEYS), "curve": curve, "spec": rf["curves"][curve]}


def convergence_params(cfg: dict) -> dict:
    rf = cfg["random_features"]
    return {**pick(rf, "activation", "t", *SOLVER_KEYS),
            **{k: v for k, v in rf["convergence"].items() if k != "dims"}}


def limit_params(cfg: dict) -> dict:
    return pick(cfg["random_features"], "activation", "t", "lambdas")


def phase_params(cfg: dict, activation: str, t: str) -> dict:
    rf = cfg["random_features"]
    spec = {k: v for k, v in rf["phase"].items() if k not in ("times", "activations")}
    return {**pick(rf, "lambdas", *SOLVER_KEYS), **spec, "activation": activation,
            "t": float(t)}


def sample_params(cfg: dict) -> dict:
    rf = cfg["random_features"]
    return {**pick(rf, "activation", "hermite_order", "quadrature_nodes"), **rf["samples"]}


def figure_params(cfg: dict) -> dict:
    return pick(cfg["random_features"], "figure_lambda", "activation", "t")


def _inputs(cfg: dict, results: str) -> dict:
    return {"curves": curve_tables(cfg, results),
            "limit": [path(results, LIMIT)]}


FIGURES = (
    Figure("random_features_learning_curves",
           "easy2hard.random_features.plots:learning_curves", _inputs, category=CATEGORY,
           params=figure_params),
    Figure("random_features_convergence", "easy2hard.random_features.plots:convergence",
           lambda cfg, results: {"convergence": convergence_tables(cfg, results)},
           category=CATEGORY, params=figure_params),
    Figure("random_features_phase", "easy2hard.random_features.plots:phase",
           lambda cfg, results: {"phase": phase_tables(cfg, results)}, category=CATEGORY,
           params=figure_params),
    Figure("random_features_onset", "easy2hard.random_features.plots:onset",
           lambda cfg, results: {"phase": phase_tables(cfg, results)}, category=CATEGORY,
           params=figure_params),
    Figure("random_features_samples", "easy2hard.random_features.plots:samples",
           lambda cfg, results: {"samples": [path(results, SAMPLES)]},
           category=CATEGORY),
)


def targets(cfg: dict, results: str) -> list[str]:
    if not cfg["random_features"]["enabled"]:
        return []
    tables = [path(results, LIMIT), path(results, SAMPLES)]
    return (curve_tables(cfg, results) + convergence_tables(cfg, results)
            + phase_tables(cfg, results) + tables
            + [f for fig in FIGURES for f in figure_files(results, fig.name)])


def _integral_or_inf(key: str, values) -> list[str]:
    return [f"config key '{key}': {v} noise samples per point; allowed: an integer >= 1 or .inf"
            for v in values if not (math.isinf(v) or float(v).is_integer())]


def check(cfg: dict) -> list[str]:
    """m is an integer or .inf; the drawn λ is solved; the quadrature resolves the series."""
    rf = cfg["random_features"]
    out = (_integral_or_inf("random_features.m", rf["m"])
           + _integral_or_inf("random_features.phase.m", rf["phase"]["m"])
           + _integral_or_inf("random_features.samples.m", [rf["samples"]["m"]]))
    if rf["figure_lambda"] not in rf["lambdas"]:
        out.append(f"config key 'random_features.figure_lambda': {rf['figure_lambda']} is not "
                   f"solved; allowed: one of {rf['lambdas']}")
    if rf["quadrature_nodes"] <= rf["hermite_order"]:
        out.append(f"config key 'random_features.quadrature_nodes': "
                   f"{rf['quadrature_nodes']} nodes cannot resolve Hermite order "
                   f"{rf['hermite_order']}; allowed: > hermite_order")
    s = rf["samples"]
    if not s["t_min"] < s["t_max"]:
        out.append(f"config key 'random_features.samples.t_min': need t_min < t_max, got "
                   f"{s['t_min']} >= {s['t_max']}; allowed: t_min < t_max")
    return out


def grid_work(d: int, cells, ms, seeds: int, order: int) -> float:
    """Multiply-adds of ``grid.run`` at one d: per seed, the features' Hermite moments
    (order x p_max² per point accumulated for m = inf, and once for the population), then
    per (n, p, m) one decomposition of p features (p³) and, for finite m, the SVD of the
    n·m noisy samples' features."""
    ns = sorted({sizes(d, c[0]) for c in cells})
    pairs = sorted({(sizes(d, c[0]), sizes(d, c[1])) for c in cells})
    p_max = max(p for _, p in pairs)
    work = order * p_max ** 2 * (1 + (max(ns) if INF in ms else 0))
    for n, p in pairs:
        for m in ms:
            work += p ** 3 + (0 if m == INF else n * m * p * min(n * m, p))
    return seeds * work


def _grid_cost(key: str, d: int, cells, ms, seeds: int, order: int) -> Cost:
    work = grid_work(d, cells, ms, seeds, order)
    return Cost(unit("torch_start") + work * unit("random_features_flop"), key,
                f"{seeds} seeds x {len(cells)} cells x {len(ms)} m at d = {d}")


def curve_cost(cfg: dict, curve: str, d: str) -> Cost:
    rf = cfg["random_features"]
    cells = curve_cells(curve, rf["curves"][curve])
    return _grid_cost(f"random_features.curves.{curve}", int(d), cells, rf["m"],
                      len(rf["seeds"]), rf["hermite_order"])


def convergence_cost(cfg: dict, d: str) -> Cost:
    rf, spec = cfg["random_features"], cfg["random_features"]["convergence"]
    return _grid_cost("random_features.convergence", int(d), convergence_cells(spec), CONVERGENCE_M,
                      len(spec["seeds"]), rf["hermite_order"])


def phase_cost(cfg: dict, activation: str, t: str) -> Cost:
    rf, spec = cfg["random_features"], cfg["random_features"]["phase"]
    return _grid_cost("random_features.phase", spec["d"], phase_cells(spec), spec["m"],
                      len(spec["seeds"]), rf["hermite_order"])


def samples_cost(cfg: dict) -> Cost:
    """Per model (memorising, generalising) one solution at each time step of the grid."""
    rf, spec = cfg["random_features"], cfg["random_features"]["samples"]
    work = sum(grid_work(spec["d"], [(spec[name]["psi_n"], spec[name]["psi_p"])], [spec["m"]],
                         spec["steps"], rf["hermite_order"])
               for name in SAMPLE_MODELS)
    return Cost(unit("torch_start") + work * unit("random_features_flop"),
                "random_features.samples", f"{len(SAMPLE_MODELS)} models x {spec['steps']} times at d = {spec['d']}")


def _limit_cost(cfg: dict) -> Cost:
    return Cost(unit("torch_start"), "random_features", "closed forms at d = inf")


JOBS = {
    "random_features_curve": Job(
        outputs={"table": CURVE}, cost=curve_cost,
        params=lambda cfg: {"spec": per_job(curve_params, cfg, "curve")},
        wildcards=lambda cfg: {"curve": CURVE_PATTERN, "d": "[0-9]+"}),
    "random_features_convergence": Job(
        outputs={"table": CONVERGENCE}, cost=convergence_cost,
        params=lambda cfg: {"spec": convergence_params(cfg)},
        wildcards=lambda cfg: {"d": "[0-9]+"}),
    "random_features_limit": Job(
        outputs={"table": LIMIT}, cost=_limit_cost,
        inputs=lambda cfg, results: {"curves": curve_tables(cfg, results)},
        params=lambda cfg: {"spec": limit_params(cfg)}),
    "random_features_phase": Job(
        outputs={"table": PHASE}, cost=phase_cost,
        params=lambda cfg: {"spec": per_job(phase_params, cfg, "activation", "t")},
        wildcards=lambda cfg: {"activation": ACTIVATION_PATTERN, "t": "[0-9.e-]+"}),
    "random_features_samples": Job(
        outputs={"table": SAMPLES}, cost=samples_cost,
        params=lambda cfg: {"spec": sample_params(cfg)}),
}

def _phase_claim_tables(cfg: dict, results: str) -> dict:
    """The stage's own (activation, t) phase diagram, when it is made."""
    rf = cfg["random_features"]
    if (rf["activation"], float(rf["t"])) not in phase_settings(cfg):
        return {}
    return {"phase": [phase_table(results, rf["activation"], float(rf["t"]))]}


def _onset_params(cfg: dict) -> dict:
    rf = cfg["random_features"]
    return {"activation": rf["activation"], "t": float(rf["t"]), "ridge_off": 0.01,
            "band": [0.5, 1.0], "true_tolerance": 0.05, "points": 80}


SOURCE = ("George, Veiga & Macris 2025 (arXiv 2502.00336), setting; derivation "
          "docs/science.md §13.7")

CLAIMS = (
    Claim("random_features.m1_limit",
          "At m = 1 DSM with random features is random-features ridge regression with label "
          "noise; its derived d = ∞ test and train errors are the limit of the exact finite-d "
          "solutions, approached as 1/d.", SOURCE,
          "the intercept of E_∞ + c/d fitted to the seed means (weights 1/s.e.²) within ± 5 % of "
          "the derived limit in every convergence cell, test and train error, with the 1/d fit's "
          "χ² below its 99.9 % quantile",
          "no extrapolation: the gap of the smallest d to the limit (a finite-size effect the "
          "1/d form must remove)",
          "at least 3 seeds per d and 3 values of d",
          "easy2hard.random_features.claims:m1_limit",
          lambda cfg, results: {"convergence": convergence_tables(cfg, results)},
          params=lambda cfg: {"tolerance": 0.05}, figure="random_features_convergence"),
    Claim("random_features.memorisation_onset",
          "Memorisation by the project's half-threshold gap-ratio criterion (§13.5; not the "
          "paper's definition) sets in at m = 1 just below p = n, and only near the ridgeless "
          "limit: it picks up the left flank of the interpolation peak.",
          "the project's criterion, docs/science.md §13.5; setting " + SOURCE,
          "d = ∞, m = 1, the stage's t: at the smallest λ every resolved ψ_n crosses ½ at "
          "ψ_p*/ψ_n in [0.5, 1]; at λ = 0.01 the gap ratio stays below ½ on the whole grid",
          "the finite-d phase diagram (seed-mean crossings at the same λ): a finite-size "
          "effect would move the crossing",
          "the true score's gap ratio in the phase table within ± 0.05 of 0 on average",
          "easy2hard.random_features.claims:memorisation_onset", _phase_claim_tables,
          params=_onset_params, figure="random_features_onset", deterministic=True),
)

STAGE = Stage(name="random_features", targets=targets, check=check, figures=FIGURES,
              jobs=JOBS, claims=CLAIMS)
