"""theory.sde_threshold (easy2hard.theory.claims) on constructed thresholds tables in the
format of mcm/thresholds.parquet, and its declaration in the plan."""

from __future__ import annotations

import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from easy2hard.pipeline import config, plan
from easy2hard.theory import claims

REPO = Path(__file__).resolve().parents[1]
CI = 0.9
Z = NormalDist().inv_cdf((1 + CI) / 2)
OPTIONS = {"level": 0.95, "refute_level": 1 - 0.05 / 25, "bootstrap": {"samples": 100, "seed": 0},
           "interval": CI}
NS = [16, 32, 64, 128, 256, 512]


def table(ratio_sde, ratio_drift, sigma=0.05, noise=1.0) -> pd.DataFrame:
    """Cells with simulated n* = N, log-scale s.e. ``sigma`` for the simulation and the SDE,
    the SDE's n* = n*·ratio_sde·(a ±``noise``σ·√2 scatter), drift-only n* = n*·ratio_drift."""
    N = np.array(NS, float)
    scatter = noise * sigma * math.sqrt(2) * np.resize([1.0, -1.0], len(N))
    pred = N * ratio_sde * np.exp(scatter)
    return pd.DataFrame({
        "sweep": "cov", "N": NS, "n_star": N, "n_star_lo": N * math.exp(-Z * sigma),
        "n_star_hi": N * math.exp(Z * sigma), "n_star_pred": pred,
        "n_star_pred_lo": pred * math.exp(-Z * sigma), "n_star_pred_hi": pred * math.exp(Z * sigma),
        "n_star_drift": N * ratio_drift})


def run(tmp_path, thr: pd.DataFrame, seeds: int = 4):
    path = tmp_path / "thresholds.parquet"
    thr.to_parquet(path)
    cells = []
    for N in NS:
        p = tmp_path / f"N{N}.parquet"
        pd.DataFrame({"sweep": "cov", "N": N, "seed": range(seeds)}).to_parquet(p)
        cells.append(str(p))
    return claims.sde_threshold({"thresholds": [str(path)], "tables": cells}, dict(OPTIONS))


def test_z_is_the_log_ratio_over_the_combined_log_errors():
    thr = table(1.0, 1.0, sigma=0.1, noise=0.0).iloc[:1]
    thr = thr.assign(n_star_pred=thr["n_star"] * math.e)
    thr["n_star_pred_lo"] = thr["n_star_pred"] * math.exp(-Z * 0.2)
    thr["n_star_pred_hi"] = thr["n_star_pred"] * math.exp(Z * 0.2)
    z, z_drift = claims.z_scores(thr, CI)
    assert z[0] == pytest.approx(-1 / math.hypot(0.1, 0.2))
    assert z_drift[0] == pytest.approx(0.0)


def test_sde_inside_and_drift_outside_is_supported(tmp_path):
    ev = run(tmp_path, table(1.0, 1.5))
    assert ev.verdict == "supported", ev.reason
    assert ev.estimate == pytest.approx(len(NS), rel=1e-6)  # Σ z² with |z| = 1 per cell
    assert ev.control_estimate > ev.estimate


def test_drift_only_inside_too_is_inconclusive(tmp_path):
    """The control is not ruled out when drift-only also passes the bound."""
    ev = run(tmp_path, table(1.0, 1.02))
    assert ev.verdict == "inconclusive", ev.reason


def test_a_biased_sde_is_refuted(tmp_path):
    ev = run(tmp_path, table(1.5, 1.5))
    assert ev.verdict == "refuted", ev.reason


def test_two_seeds_are_inconclusive(tmp_path):
    ev = run(tmp_path, table(1.0, 1.5), seeds=2)
    assert ev.verdict == "inconclusive" and "2 seeds" in ev.reason


def test_a_cell_without_a_crossing_fails_calibration(tmp_path):
    thr = table(1.0, 1.5)
    thr.loc[2, ["n_star", "n_star_hi"]] = math.nan
    ev = run(tmp_path, thr)
    assert ev.verdict == "inconclusive"
    assert "calibration failed" in ev.reason and "N=64" in ev.reason


def test_cells_without_a_prediction_are_not_scored(tmp_path):
    thr = table(1.0, 1.5)
    thr.loc[0, ["n_star_pred", "n_star_pred_lo", "n_star_pred_hi", "n_star_drift"]] = math.nan
    ev = run(tmp_path, thr)
    assert ev.verdict == "supported" and f"over {len(NS) - 1} cells" in ev.reason


def test_declared_on_mcm_tables_and_empty_without_them():
    claim, = plan.theory.STAGE.claims
    assert claim.function() is claims.sde_threshold
    cfg = config.load(REPO / "config" / "config.yaml")
    inputs = claim.inputs(cfg, "R")
    assert inputs["thresholds"] == ["R/mcm/thresholds.parquet"]
    assert "R/mcm/cumulant/N16.parquet" in inputs["tables"]
    assert claim.params(cfg) == {"interval": 0.9}
    cfg["mcm"]["enabled"] = False
    assert claim.inputs(cfg, "R") == {}
