"""The MCM exponent claims (easy2hard.mcm.claims.exponent) on constructed cell tables in the
real format (one row per run and logged n), and their declaration in the plan."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from easy2hard.mcm import claims
from easy2hard.pipeline import config, plan

REPO = Path(__file__).resolve().parents[1]
NS = [8, 16, 32, 64]
OPTIONS = {"level": 0.95, "refute_level": 1 - 0.05 / 25, "bootstrap": {"samples": 300, "seed": 0},
           "sweep": "cum", "N": NS, "tolerance": 0.25, "crossing_level": 0.5}


def cell(N: int, seeds, n_star, dead=()) -> pd.DataFrame:
    """One cell: per seed the overlap 1/(1 + (n*_s/n)^4) (n*_s = n_star · a seed's jitter)
    on a log grid up to 100 n_star; ``dead`` seeds stay at 0.1 (never learn)."""
    n = np.unique(np.geomspace(1, 100 * n_star, 40).astype(int))
    rows = []
    for s in seeds:
        ns = n_star * math.exp(0.03 * np.random.default_rng(s + 7 * N).standard_normal())
        y = np.full(len(n), 0.1) if s in dead else 1 / (1 + (ns / n) ** 4)
        rows.append(pd.DataFrame({
            "sweep": "cum", "N": N, "seed": s, "activation": "sigma_star", "projection": "sphere",
            "latent": "rademacher", "correlated": False, "beta_u": 0.0, "beta_v": math.inf,
            "t": 0.3, "n": n, "overlap_u": 0.0, "overlap_v": y}))
    return pd.concat(rows, ignore_index=True)


def exponents(expo: float = 3.0, log_factor: bool = False) -> pd.DataFrame:
    return pd.DataFrame([{"sweep": "cum", "latent": "rademacher", "activation": "sigma_star",
                          "t": 0.3, "spike": "cumulant", "beta_u": 0.0, "beta_v": math.inf,
                          "correlated": False, "exponent": expo, "log_factor": log_factor}])


def run(tmp_path, power: float, seeds=range(4), theory=3.0, dead=None, log_factor=False):
    """Write the cells (n* = N^power, times ln N with ``log_factor``) and evaluate."""
    tables = []
    for N in NS:
        n_star = N ** power * (math.log(N) if log_factor else 1.0)
        path = tmp_path / f"N{N}.parquet"
        cell(N, list(seeds), n_star, (dead or {}).get(N, ())).to_parquet(path)
        tables.append(str(path))
    ex = tmp_path / "exponents.parquet"
    exponents(theory, log_factor).to_parquet(ex)
    return claims.exponent({"tables": tables, "exponents": [str(ex)]}, dict(OPTIONS))


def test_planted_exponent_is_supported(tmp_path):
    ev = run(tmp_path, 3.0)
    assert ev.verdict == "supported", ev.reason
    assert ev.estimate == pytest.approx(3.0, abs=0.05)
    assert 2.75 <= ev.lo <= ev.estimate <= ev.hi <= 3.25
    assert ev.n_seeds == 4 and ev.control_estimate == pytest.approx(3.0, abs=1e-6)  # the budget


def test_ln_factor_is_removed_before_comparing(tmp_path):
    """n* = N ln N: the slope of n*/ln N is 1 (supported); ln n* on ln N would be ≈ 1.4."""
    ev = run(tmp_path, 1.0, theory=1.0, log_factor=True)
    assert ev.verdict == "supported", ev.reason
    assert ev.estimate == pytest.approx(1.0, abs=0.05)


def test_wrong_exponent_is_refuted(tmp_path):
    ev = run(tmp_path, 2.0, theory=3.0)
    assert ev.verdict == "refuted", ev.reason
    assert ev.hi < 2.75


def test_two_seeds_are_inconclusive(tmp_path):
    ev = run(tmp_path, 3.0, seeds=range(2))
    assert ev.verdict == "inconclusive" and "2 seeds" in ev.reason


def test_a_cell_that_never_crosses_fails_calibration(tmp_path):
    ev = run(tmp_path, 3.0, dead={64: range(4)})
    assert ev.verdict == "inconclusive"
    assert "calibration failed" in ev.reason and "64" in ev.reason


def test_censored_replicates_open_the_interval(tmp_path):
    """Two of four seeds never learn at the largest N: the mean still crosses, but resamples
    with three or four dead seeds do not; they stay censored (+inf slope), never dropped."""
    ev = run(tmp_path, 3.0, dead={64: (0, 1)})
    assert ev.hi == math.inf
    assert ev.verdict == "inconclusive", ev.reason


def test_fewer_than_three_points_are_inconclusive(tmp_path):
    """The claim's N range names the fitted points: two of them cannot decide a slope."""
    run(tmp_path, 3.0)
    tables = [str(tmp_path / f"N{N}.parquet") for N in NS]
    ev = claims.exponent({"tables": tables, "exponents": [str(tmp_path / "exponents.parquet")]},
                         {**OPTIONS, "N": [8, 16]})
    assert ev.verdict == "inconclusive" and "2 points" in ev.reason


def test_exponent_claims_are_declared_per_default_sweep():
    cfg = config.load(REPO / "config" / "config.yaml")
    ids = {c.id: c for c in plan.mcm.STAGE.claims}
    assert all(callable(c.function()) for c in ids.values())
    assert set(ids) == {"mcm.covariance_exponent", "mcm.cumulant_exponent",
                        "mcm.correlated_exponent"}
    inputs = ids["mcm.cumulant_exponent"].inputs(cfg, "R")
    assert inputs["tables"] == [f"R/mcm/cumulant/N{N}.parquet"
                                for N in cfg["mcm"]["sweeps"]["cumulant"]["N"]]
    assert inputs["exponents"] == ["R/theory/sweeps/cumulant.parquet"]
    params = ids["mcm.correlated_exponent"].params(cfg)
    assert params["sweep"] == "cumulant_correlated" and params["crossing_level"] == 0.5


def test_a_config_without_the_sweep_gives_no_inputs():
    cfg = config.load(REPO / "config" / "test" / "mcm.yaml")
    assert all(c.inputs(cfg, "R") == {} for c in plan.mcm.STAGE.claims)


def test_settings_without_a_theory_exponent_are_skipped(tmp_path):
    """Plain SGD runs beside the pSGD ones (no prediction) do not make the claim undecidable."""
    run(tmp_path, 3.0)
    tables = []
    for N in NS:
        df = pd.read_parquet(tmp_path / f"N{N}.parquet")
        both = pd.concat([df, df.assign(projection="none", overlap_v=0.1)], ignore_index=True)
        both.to_parquet(tmp_path / f"both{N}.parquet")
        tables.append(str(tmp_path / f"both{N}.parquet"))
    ev = claims.exponent({"tables": tables, "exponents": [str(tmp_path / "exponents.parquet")]},
                         dict(OPTIONS))
    assert ev.verdict == "supported", ev.reason
