"""Random-features DSM at d -> inf (docs/science.md §13.5, §13.7): the Marchenko-Pastur
quadrature, the effective ridge, the derived m = 1 limit against the exact finite-d
solutions, the generalisation-gap criterion and the data the figures draw."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from easy2hard.core.tables import write_parquet
from easy2hard.random_features import asymptotics, extrapolate, grid, plots, regimes


@pytest.mark.parametrize("ratio", [0.3, 1.0, 2.5])
def test_marchenko_pastur_moments(ratio):
    """∫ ℓ dμ = 1 and ∫ ℓ² dμ = 1 + ratio for the spectrum of W Wᵀ / d (p / d = ratio)."""
    ell, w = asymptotics.marchenko_pastur(ratio)
    assert w @ ell == pytest.approx(1.0, rel=1e-6)
    assert w @ ell**2 == pytest.approx(1.0 + ratio, rel=1e-6)


def test_gaussian_constants():
    """ReLU's closed form; tanh's μ1 = E[tanh'(g)] (Stein) and μ*² from its definition."""
    assert asymptotics.gaussian_constants("relu") == pytest.approx(
        (1 / math.sqrt(2 * math.pi), 0.5, 0.25 - 1 / (2 * math.pi)))
    g = np.random.default_rng(0).standard_normal(2_000_000)
    mu0, mu1, star = asymptotics.gaussian_constants("tanh")
    slope = 1 - np.tanh(g) ** 2
    assert abs(mu1 - slope.mean()) < 5 * slope.std() / math.sqrt(g.size)
    assert mu0 == pytest.approx(0.0, abs=1e-12) and 0 < star < 1 - mu1**2


def test_effective_ridge_limits():
    """κ solves λ = κ (1 - df1/n); many samples (ψ_n -> inf) leave κ -> λ, and the zero score
    is recovered when λ -> inf (E_test -> Δ, E_train -> 1)."""
    prob = asymptotics.Problem(1.0, 2.0, 0.05, 0.3, "tanh")
    kappa = asymptotics.effective_ridge(prob)
    s, _, w = prob.spectrum()
    assert kappa * (1 - 2.0 * w @ (s / (s + kappa))) == pytest.approx(0.05, rel=1e-9)
    big_n = asymptotics.Problem(1e6, 2.0, 0.05, 0.3, "tanh")
    assert asymptotics.effective_ridge(big_n) == pytest.approx(0.05, rel=1e-4)
    e = asymptotics.errors(asymptotics.Problem(1.0, 2.0, 1e8, 0.3, "tanh"))
    assert e["test_error"] == pytest.approx(-math.expm1(-0.6), rel=1e-6)
    assert e["train_error"] == pytest.approx(1.0, rel=1e-6)


def test_exact_errors_converge_to_the_derived_limit_like_one_over_d():
    """m = 1, d = 32, 64, 128, 256, six seeds each, an under- and an over-parameterised cell:
    the weighted fit E_inf + c/d of the seed means reaches the derived limit within 3
    standard errors of its intercept, and the 1/d model is consistent with the seed spread
    (χ² below its 99.9 % quantile)."""
    dims, seeds = [32, 64, 128, 256], list(range(6))
    frames = [grid.run(d, [(2.0, 0.5), (0.5, 1.5)], [1], [0.01], seeds, 0.5, "tanh", 30, 60, 10)
              for d in dims]
    gaps = plots.convergence_gaps(pd.concat(frames))
    for (psi_p, q), g in gaps.groupby(["psi_p", "quantity"]):
        d, y, se = g["d"].to_numpy(float), g["mean"].to_numpy(), g["sem"].to_numpy()
        X = np.stack([np.ones_like(d), 1 / d], axis=1) / se[:, None]
        coef, *_ = np.linalg.lstsq(X, y / se, rcond=None)
        cov = np.linalg.inv(X.T @ X)
        chi2 = float(((X @ coef - y / se) ** 2).sum())
        assert chi2 < 13.8, (psi_p, q, chi2)  # χ²(2 dof) 99.9 % quantile
        assert abs(coef[0] - g["limit"].iloc[0]) < 3 * math.sqrt(cov[0, 0]), (psi_p, q, coef)


def test_gap_ratio_of_a_synthetic_table():
    """gap = e^{-2t} + test - train in units of s_emp's; the true-score control and the 1/2
    threshold; a value computed from the input row."""
    t = 0.5
    df = pd.DataFrame({"t": [t, t], "test_error": [0.1, 3.0], "train_error": [0.4, 0.0],
                       "test_error_emp": [2.0, 2.0], "train_error_emp": [0.1, 0.1],
                       "train_error_true": [math.exp(-1), math.exp(-1)]})
    out = regimes.with_gaps(df)
    emp = math.exp(-1) + 1.9
    assert out["gap_ratio"].tolist() == pytest.approx([(math.exp(-1) - 0.3) / emp,
                                                      (math.exp(-1) + 3.0) / emp])
    assert out["gap_ratio_true"].tolist() == pytest.approx([0.0, 0.0], abs=1e-15)
    assert out["memorising"].tolist() == [False, True]


def test_true_score_control_has_no_gap():
    """On real draws the true score's generalisation gap is zero within Monte-Carlo error:
    |gap_ratio_true| below 5 / sqrt(n m d) (its train loss is a mean of n m d unit-variance
    chi-square terms scaled by e^{-2t})."""
    df = grid.run(16, [(1.0, 2.0)], [1, 4], [0.01], [0, 1], 0.5, "tanh", 30, 60, 200)
    for _, row in df.iterrows():
        assert abs(row["gap_ratio_true"]) < 5 * math.sqrt(2 / (16 * 16 * row["m"]))


def test_first_crossing_interpolates_in_log():
    x = np.array([1.0, 2.0, 4.0, 8.0])
    assert regimes.first_crossing(x, np.array([0.1, 0.3, 0.7, 0.2])) == pytest.approx(
        math.exp(math.log(2) + 0.5 * math.log(2)))
    assert regimes.first_crossing(x, np.array([0.6, 0.1, 0.1, 0.1])) == 1.0
    assert math.isnan(regimes.first_crossing(x, np.zeros(4)))


def test_optimal_ridge_beats_the_grid():
    """λ* of the limit is no worse than any λ of a grid, and not at the search bounds."""
    lam, best = extrapolate.optimal_ridge(1.0, 2.0, 0.1, "tanh")
    grid_errors = [asymptotics.errors(asymptotics.Problem(1.0, 2.0, v, 0.1, "tanh"))["test_error"]
                   for v in np.geomspace(1e-4, 1e2, 13)]
    assert best <= min(grid_errors) + 1e-12
    assert 1e-8 < lam < 1e3


def test_phase_figure_reports_the_crossover(tmp_path):
    """A synthetic phase table with gap ratio ψ_p / (4 ψ_n): the drawn crossover is
    ψ_p = 2 ψ_n at every ψ_n (finite d), and the m = 1 limit row is there."""
    rows = [{"activation": "tanh", "t": 0.5, "d": 16, "m": m, "lambda": 0.01, "seed": 0,
             "psi_n": pn, "psi_p": pp, "gap_ratio": pp / (4 * pn)}
            for m in (1.0, math.inf) for pn in (0.5, 1.0) for pp in (0.25, 0.5, 1, 2, 4, 8)]
    path = tmp_path / "phase.parquet"
    write_parquet(pd.DataFrame(rows), str(path))
    fig, drawn = plots.phase({"phase": [str(path)]}, {"figure_lambda": 0.01})
    cross = drawn["crossover"]
    finite = cross[np.isfinite(cross["d"])]
    assert len(finite) == 4
    assert finite["psi_p_cross"].to_numpy() == pytest.approx(2 * finite["psi_n"].to_numpy())
    assert len(cross[~np.isfinite(cross["d"])]) == 2


def test_samples_figure_returns_quantiles(tmp_path):
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"model": "a", "source": np.repeat(["model", "target"], 200),
                       "psi_n": 1.0, "psi_p": 2.0, "n": 8, "p": 16, "d": 8, "m": math.inf,
                       "lambda": 1e-3, "nn_distance": rng.random(400), "norm": rng.random(400)})
    path = tmp_path / "samples.parquet"
    write_parquet(df, str(path))
    fig, drawn = plots.samples({"samples": [str(path)]}, {})
    q = drawn["quantiles"]
    med = q[(q["source"] == "model") & (q["quantile"] == 0.5)]["norm"].iloc[0]
    assert med == pytest.approx(np.median(df[df["source"] == "model"]["norm"]))
    assert len(q) == 2 * len(plots.QUANTILES)
