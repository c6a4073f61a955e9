"""Plan of the random_features stage (docs/science.md §13): one learning-curve table per
(curve, d) under results/random_features/curves/, the 1/d extrapolation, the phase diagram,
the samples, and four figures. Nothing is planned unless random_features.enabled."""

from __future__ import annotations

from .stage import Stage

import math

from .common import figure_files, pick

CURVES = ("psi_p", "psi_n")
FIGURES = ("random_features_learning_curves", "random_features_convergence",
           "random_features_phase", "random_features_samples")
MODEL_KEYS = ("activation", "t", "seeds", "m", "lambdas", "hermite_order", "quadrature_nodes",
              "eval_points")


def curve_tables(cfg: dict, results: str) -> list[str]:
    return [f"{results}/random_features/curves/{c}_d{d}.parquet"
            for c in CURVES for d in cfg["random_features"]["dims"]]


def curve_params(cfg: dict, curve: str) -> dict:
    """What one curve table depends on: the model keys and that curve's spec (not the dims)."""
    rf = cfg["random_features"]
    return {**pick(rf, *MODEL_KEYS), "curve": curve, "spec": rf["curves"][curve]}


def phase_params(cfg: dict) -> dict:
    rf = cfg["random_features"]
    return {**pick(rf, *MODEL_KEYS), **rf["phase"]}


def sample_params(cfg: dict) -> dict:
    rf = cfg["random_features"]
    return {**pick(rf, "activation", "hermite_order", "quadrature_nodes"), **rf["samples"]}


def targets(cfg: dict, results: str) -> list[str]:
    if not cfg["random_features"]["enabled"]:
        return []
    tables = [f"{results}/random_features/{name}.parquet"
              for name in ("extrapolated", "phase", "samples")]
    return (curve_tables(cfg, results) + tables
            + [f for name in FIGURES for f in figure_files(results, name)])


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


STAGE = Stage(name="random_features", targets=targets, check=check)
