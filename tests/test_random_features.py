"""Random-features DSM (docs/science.md §13): moments, the exact ridge solution, m -> inf,
memorisation, extrapolation, config checks, and the stage run through the workflow."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from easy2hard.core import activations
from easy2hard.core.quadrature import gauss_hermite
from easy2hard.pipeline import config as e2h_config
from easy2hard.pipeline.plan import random_features as plan
from easy2hard.random_features import empirical, extrapolate, grid, moments, problem, ridge

from .conftest import load_test_config

INF = float("inf")


def test_mehler_matches_two_dimensional_quadrature():
    """E[σ(g1) σ(g2)] for a correlated pair with nonzero means: Mehler (J = 60) against a
    tensor Gauss-Hermite rule (80² nodes, exact to ~1e-12 for tanh at these scales)."""
    mu = torch.tensor([[0.3, -0.7]], dtype=torch.float64)
    s = torch.tensor([0.8, 1.1], dtype=torch.float64)
    for rho in (0.9, -0.5, 0.1):
        c = moments.Coefficients("tanh", mu, s, 60, 120)
        rho_m = torch.tensor([[1.0, rho], [rho, 1.0]], dtype=torch.float64)
        mehler = moments.mehler(c.coef, c.second, rho_m)[0, 1].item()
        xi, w = gauss_hermite(80, dtype=torch.float64)
        x1, x2 = torch.meshgrid(xi, xi, indexing="ij")
        g1 = mu[0, 0] + s[0] * x1
        g2 = mu[0, 1] + s[1] * (rho * x1 + math.sqrt(1 - rho**2) * x2)
        exact = (torch.outer(w, w) * torch.tanh(g1) * torch.tanh(g2)).sum().item()
        assert mehler == pytest.approx(exact, abs=1e-9)


def _small(m=2, n=5, p=12, d=6, t=0.3, seed=0):
    prob = problem.draw(seed, d, n, p, m, 50, t, "tanh")
    x, z = problem.noisy(prob, n, m)
    return prob, problem.features(x, prob.W, "tanh"), z


def _objective(B, C, V, z2, lam, d):
    """(1/d) [tr(B C Bᵀ) + 2 tr(B Vᵀ) + d z2] + (λ/d) |B|², the §13.2 objective."""
    return ((B @ C * B).sum() + 2 * (B * V).sum() + d * z2 + lam * (B * B).sum()) / d


@pytest.mark.parametrize("m", [2, INF])
def test_closed_form_matches_gradient_descent(m):
    """Gradient descent on the same quadratic objective (from B = 0, step 1/L) converges to the
    closed form; a few steps from a perturbed closed form never go below it."""
    prob = problem.draw(0, 6, 5, 12, 2, 50, 0.3, "tanh")
    lam = 0.05
    if m == INF:
        acc = moments.ClusterMoments(prob.W, "tanh", prob.t, 40, 80)
        acc.add(prob.a)
        C, V = acc.moments()
        z2 = 1.0
        sp = ridge.from_moments(C, V)
    else:
        x, z = problem.noisy(prob, 5, 2)
        phi = problem.features(x, prob.W, "tanh")
        C, V = phi @ phi.T / phi.shape[1], z.T @ phi.T / phi.shape[1]
        z2 = float((z * z).sum()) / z.numel()
        sp = ridge.from_samples(phi, z)
    B_cf = sp.weights(torch.tensor([lam], dtype=torch.float64))[0]
    step = 1.0 / (torch.linalg.eigvalsh(C).max().item() + lam)
    B = torch.zeros_like(B_cf)
    for _ in range(20000):
        B = B - step * (B @ C + V + lam * B)
    assert torch.allclose(B, B_cf, rtol=0, atol=1e-9)
    train = _objective(B_cf, C, V, z2, 0.0, 6).item()
    assert sp.train_error(torch.tensor([lam], dtype=torch.float64))[0].item() == \
        pytest.approx(train, rel=1e-10)
    best = _objective(B_cf, C, V, z2, lam, 6)
    Bp = B_cf + 0.1 * torch.randn(B_cf.shape, dtype=B_cf.dtype,
                                  generator=torch.Generator().manual_seed(1))
    for _ in range(5):
        Bp = Bp - step * (Bp @ C + V + lam * Bp)
        assert _objective(Bp, C, V, z2, lam, 6) >= best - 1e-12


def test_test_error_matches_monte_carlo():
    """The exact test error (population moments) against K = 200 000 fresh target points;
    tolerance 5 standard errors of the Monte-Carlo mean."""
    prob, phi, z = _small()
    sp = ridge.from_samples(phi, z)
    lam = torch.tensor([1e-3, 1e-1], dtype=torch.float64)
    sigma, M = moments.population(prob.W, "tanh", 60, 120)
    exact = sp.test_error(lam, sigma, M, prob.delta)
    x = torch.randn(200_000, prob.d, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    pred = sp.predict(problem.features(x, prob.W, "tanh"), lam)
    per_point = (pred + math.sqrt(prob.delta) * x.T).pow(2).sum(1) / prob.d
    mc, se = per_point.mean(1), per_point.std(1) / math.sqrt(x.shape[0])
    assert ((exact - mc).abs() < 5 * se).all(), (exact, mc, se)


def test_infinite_m_moments_match_large_m():
    """U = E_z[φ φᵀ] and V = E_z[z φᵀ] (Mehler + Stein, m = inf) against the average over
    m = 20 000 noise samples per point: every entry within 5 Monte-Carlo standard errors
    (with p² = 100 entries a 5σ excursion has probability < 1e-4)."""
    prob = problem.draw(3, 6, 4, 10, 20_000, 10, 0.4, "tanh")
    acc = moments.ClusterMoments(prob.W, "tanh", prob.t, 60, 120)
    acc.add(prob.a)
    U, V = acc.moments()
    x, z = problem.noisy(prob, 4, 20_000)
    phi = problem.features(x, prob.W, "tanh")
    N = phi.shape[1]
    prods = phi[:, None, :] * phi[None, :, :]
    U_mc, U_se = prods.mean(-1), prods.std(-1) / math.sqrt(N)
    zp = z.T[:, None, :] * phi[None, :, :]
    V_mc, V_se = zp.mean(-1), zp.std(-1) / math.sqrt(N)
    assert ((U - U_mc).abs() < 5 * U_se).all()
    assert ((V - V_mc).abs() < 5 * V_se).all()


def test_finite_m_errors_approach_infinite_m():
    """The ridge test error at m = 1, 10, 100, 1000 approaches that at m = inf: each tenfold
    m at least halves the gap (the gap is O(1/m) plus O(1/sqrt(n m)) fluctuations)."""
    df = grid.run(8, [(1.0, 2.0)], [1, 10, 100, 1000, INF], [1e-2], [0], 0.3, "tanh", 40, 80, 50)
    err = df.set_index("m")["test_error"]
    gaps = [abs(err[m] - err[INF]) for m in (1, 10, 100, 1000)]
    assert all(b < a / 2 for a, b in zip(gaps, gaps[1:])), gaps
    assert gaps[-1] < 0.02 * err[INF]


def test_memorising_solution_at_large_psi_p():
    """m = inf, λ -> 0: as ψ_p grows the learned score approaches the empirical optimal score
    s_emp on the training mixture (monotone decrease of |s_A - s_emp|² / |s - s_emp|²)."""
    df = grid.run(16, [(0.5, v) for v in (2, 8, 32, 64)], [INF], [1e-8], [0], 0.1, "tanh",
                  60, 120, 500)
    ratio = (df["dist_emp"] / df["gap_emp_true"]).to_numpy()
    assert np.all(np.diff(ratio) < 0), ratio
    assert ratio[-1] < 0.1
    assert df["closer_to_emp"].iloc[-1]


def test_interpolation_at_finite_m():
    """Finite m, p > n m and λ -> 0: the solution interpolates the n m training pairs."""
    df = grid.run(8, [(1.0, 4.0)], [2], [1e-10], [0], 0.3, "tanh", 30, 60, 50)
    assert df["train_error"].iloc[0] < 1e-6


def test_empirical_score_is_the_dsm_minimiser_on_its_mixture():
    """Tweedie for the mixture: E[z | x] = -sqrt(Δ) s_emp(x), so the DSM residual
    sqrt(Δ) s_emp(x) + z is uncorrelated with any function of x (here x itself)."""
    t, d, n, K = 0.3, 4, 3, 400_000
    g = torch.Generator().manual_seed(5)
    a = torch.randn(n, d, dtype=torch.float64, generator=g)
    z = torch.randn(K, d, dtype=torch.float64, generator=g)
    idx = torch.randint(n, (K,), generator=g)
    x = math.exp(-t) * a[idx] + math.sqrt(-math.expm1(-2 * t)) * z
    resid = empirical.scaled_score(x, a, t) + z
    corr = (resid * x).mean(0)
    se = (resid * x).std(0) / math.sqrt(K)
    assert (corr.abs() < 5 * se).all()


def test_infinite_m_train_error_splits_at_the_empirical_optimum():
    """For m = inf, s_emp minimises DSM on the training mixture, so (Pythagoras, Tweedie)
    E_train(s_A) = dist(s_A, s_emp) + E_train(s_emp). The left side is exact; the right side
    is a Monte-Carlo mean over K = 100 000 mixture points: tolerance 5 standard errors."""
    prob = problem.draw(4, 8, 6, 24, 1, 100_000, 0.3, "tanh")
    acc = moments.ClusterMoments(prob.W, "tanh", prob.t, 60, 120)
    acc.add(prob.a)
    sp = ridge.from_moments(*acc.moments())
    lam = torch.tensor([1e-3], dtype=torch.float64)
    x = problem.mixture_points(prob, 6)
    emp = empirical.scaled_score(x, prob.a, prob.t)
    pred = sp.predict(problem.features(x, prob.W, "tanh"), lam)[0].T
    per_point = ((pred - emp).pow(2).sum(1) + (emp + prob.z_eval).pow(2).sum(1)) / prob.d
    se = per_point.std() / math.sqrt(per_point.numel())
    assert abs(sp.train_error(lam)[0] - per_point.mean()) < 5 * se


def test_inverse_d_fit_recovers_a_line():
    d = np.array([32.0, 64.0, 128.0])
    e_inf, c, se = extrapolate.fit_inverse_d(d, 0.7 + 3.0 / d)
    assert (e_inf, c) == (pytest.approx(0.7), pytest.approx(3.0))
    assert se < 1e-12


@pytest.mark.parametrize("key,value,fragment", [
    ("m", [1, 2.5], "random_features.m"),
    ("figure_lambda", 0.5, "random_features.figure_lambda"),
    ("quadrature_nodes", 20, "random_features.quadrature_nodes"),
])
def test_config_check_names_the_key(key, value, fragment):
    with pytest.raises(e2h_config.ConfigError) as err:
        e2h_config.validate({"random_features": {"enabled": True, key: value}})
    assert f"config key '{fragment}'" in str(err.value) and "allowed:" in str(err.value)


def test_disabled_by_default_plans_nothing():
    assert plan.targets(e2h_config.validate({}), "results") == []


def test_activation_slope_is_the_derivative():
    """The Stein terms use σ' from core.activations; check it for tanh by finite differences."""
    h = torch.linspace(-3, 3, 7, dtype=torch.float64)
    f, df = activations.evaluate("tanh", h)
    num = (activations.evaluate("tanh", h + 1e-6)[0] - activations.evaluate("tanh", h - 1e-6)[0]) / 2e-6
    assert torch.allclose(df, num, atol=1e-8)


@pytest.mark.slow
def test_workflow_runs_the_stage(run_workflow):
    """The stage's rules through the real workflow on config/test/random_features.yaml."""
    import pandas as pd

    cfg = load_test_config("random_features")
    run_workflow(cfg)
    out = run_workflow.workdir / "results"
    curves = pd.read_parquet(out / "random_features" / "curves" / "psi_p_d8.parquet")
    assert {"train_error", "test_error", "dist_emp", "gap_ratio", "memorising"} <= set(curves.columns)
    assert set(curves["m"]) == {1.0, 2.0, INF}
    lim = pd.read_parquet(out / "random_features" / "limit.parquet")
    assert set(lim["method"]) == {"deterministic_equivalent", "optimal_ridge", "fit_inverse_d"}
    assert set(lim.loc[lim["method"] == "deterministic_equivalent", "m"]) == {1.0}
    for name in ("tanh_t0.1", "relu_t0.1"):
        assert (out / "random_features" / "phase" / f"{name}.parquet").exists()
    assert (out / "random_features" / "convergence" / "d12.parquet").exists()
    samples = pd.read_parquet(out / "random_features" / "samples.parquet")
    assert set(samples["model"]) == {"memorising", "generalising"}
    for fig in plan.FIGURES:
        assert (out / "figures" / f"{fig.name}.png").stat().st_size > 0


def test_grid_work_counts_each_solved_size_once():
    """The job table's work of a grid: cells that round to the same (n, p) are one solve (as
    grid.run), the work is linear in the seeds, and finite m adds the samples' SVD."""
    one = plan.grid_work(16, [(1.0, 2.0)], [1, INF], 1, 8)
    assert plan.grid_work(16, [(1.0, 2.0), (1.01, 2.01)], [1, INF], 1, 8) == one
    assert plan.grid_work(16, [(1.0, 2.0)], [1, INF], 3, 8) == 3 * one
    assert plan.grid_work(16, [(1.0, 2.0)], [1, 2, INF], 1, 8) > one
    assert plan.grid_work(16, [(1.0, 2.0), (1.0, 4.0)], [1, INF], 1, 8) > one
