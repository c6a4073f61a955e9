"""Non-Gaussian targets, the sample-based divergences and the nonlinear denoiser of the linear
stage (docs/science.md §10.8-10.10)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from easy2hard.core import ddpm, streams
from easy2hard.linear import closed_form, denoiser, divergence, laws, nonlinear, plots, sweep, targets


@pytest.mark.parametrize("law", laws.LAWS)
def test_white_laws_have_zero_mean_unit_covariance(law):
    """Sample mean and covariance of 40 000 draws within 5 standard errors of 0 and I
    (SE of a covariance entry from the law's fourth moment)."""
    n, d = 40_000, 3
    z = laws.draw_white(law, n, d, 7, streams.generator(0, "test", law))
    kurt = {"gaussian": 3.0, "student_t": 3 + 6 / (7 - 4), "laplace_latent": 6.0}[law]
    assert np.all(np.abs(z.mean(0)) < 5 / math.sqrt(n))
    cov = np.cov(z.T, bias=True)
    assert np.all(np.abs(np.diag(cov) - 1) < 5 * math.sqrt((kurt - 1) / n))
    off = cov[~np.eye(d, dtype=bool)]
    assert np.all(np.abs(off) < 5 * math.sqrt(3.0 / n))


def test_log_densities_match_scipy():
    z = np.random.default_rng(0).normal(size=(20, 4))
    np.testing.assert_allclose(laws.log_density_white("gaussian", z),
                               stats.multivariate_normal(np.zeros(4)).logpdf(z), rtol=1e-12)
    t = stats.multivariate_t(np.zeros(4), np.eye(4) * (6 - 2) / 6, df=6)
    np.testing.assert_allclose(laws.log_density_white("student_t", z, 6), t.logpdf(z), rtol=1e-10)
    lap = stats.laplace(scale=1 / math.sqrt(2)).logpdf(z).sum(1)
    np.testing.assert_allclose(laws.log_density_white("laplace_latent", z), lap, rtol=1e-12)


def test_non_gaussian_targets_share_the_power_law_covariance():
    g, t = targets.build("power_law", 5, 1.5), targets.build("student_t", 5, 1.5, dof=8)
    np.testing.assert_allclose(g.population.cov, t.population.cov)
    x = g.draw(10, streams.generator(0, "x"))
    np.testing.assert_allclose(g.log_density(x), stats.multivariate_normal(
        g.population.mean, g.population.cov).logpdf(x), rtol=1e-10)


def _optimum_model(target):
    c, U = np.linalg.eigh(target.population.cov)
    return denoiser.Fit(c, U, target.population.mean), U


def test_monte_carlo_kl_is_the_exact_kl_on_gaussians_and_positive_otherwise():
    """On a Gaussian target the Monte-Carlo KL of a trained linear model equals the exact KL
    within 4 of its standard errors; for the Student-t target the population-optimal linear
    model has KL > 0 by more than 10 standard errors (its law is not Gaussian)."""
    t = denoiser.terms(ddpm.Schedule(T=200, beta_min=1e-3, beta_max=0.1))
    g = targets.build("power_law", 6, 1.0)
    f = denoiser.fit(g.training_set(30, 0))
    out = closed_form.evaluate([f], g.population, t, [0.0], [np.inf], ["ddpm"])
    z = sweep.mc_draws(g, 20_000)
    kl, se = divergence.mc_kl(g, out["mean"][0, 0, 0, 0], f.U, out["var"][0, 0, 0, 0], z)
    assert abs(kl - out["kl"][0, 0, 0, 0]) < 4 * se
    st = targets.build("student_t", 6, 1.0, dof=6)
    fit_, U = _optimum_model(st)
    kl, se = divergence.mc_kl(st, st.population.mean, U, fit_.c, z)
    assert kl > 10 * se


def test_knn_kl_recovers_a_known_kl_and_zero():
    """d = 2, n = m = 4000: KL(N(0.5 e1, 1.5 I) ‖ N(0, I)) = 0.5 (1.5·2 − 2 − 2 ln 1.5 + 0.25)
    within 0.05 (about 3 standard errors plus the finite-n bias); two draws of one law within
    0.05 of 0."""
    gen = np.random.default_rng(1)
    x = gen.normal(size=(4000, 2)) * math.sqrt(1.5) + [0.5, 0]
    y = gen.normal(size=(4000, 2))
    exact = 0.5 * (3 - 2 - 2 * math.log(1.5) + 0.25)
    est, se = divergence.knn_kl(x, y, k=5)
    assert abs(est - exact) < 0.05 and se < 0.05
    same, _ = divergence.knn_kl(gen.normal(size=(4000, 2)), y, k=5)
    assert abs(same) < 0.05


def test_neighbour_ratio_flags_copies():
    train = np.random.default_rng(0).normal(size=(10, 4))
    copies = train[:5] + 1e-6
    assert np.all(divergence.neighbour_ratio(copies, train) < 1e-3)
    fresh = np.random.default_rng(1).normal(size=(200, 4))
    assert np.median(divergence.neighbour_ratio(fresh, train)) > 0.5


def test_regularisation_paths_hold_both_paths_and_the_plain_optimum():
    """The ridge path at λ = 0 and the time path at τ = ∞ are the same model; the best ridge
    of best_of_paths is no worse than none."""
    t = denoiser.terms(ddpm.Schedule(T=100, beta_min=1e-3, beta_max=0.1))
    df = sweep.regularisation_paths(targets.build("power_law", 8, 2.0), t, N_over_d=[0.5, 4],
                                    seeds=[0, 1], ridge=[0.01, 0.1], times=[10.0], sampler="ddpm")
    plain = df[(df.path == "ridge") & (df.value == 0)].reset_index(drop=True)
    end = df[(df.path == "time") & np.isinf(df.value)].reset_index(drop=True)
    np.testing.assert_allclose(plain.kl, end.kl)
    np.testing.assert_allclose(plain.excess, end.excess)
    best = plots.best_of_paths(df.assign(target="α = 2", exponent=2.0))
    for N, g in best.groupby("N"):
        none, ridge = g[g.regime == "none"].iloc[0], g[g.regime == "best ridge"].iloc[0]
        assert ridge.excess <= none.excess
        mean0 = df[(df.N == N) & (df.path == "ridge") & (df.value == 0)].excess.mean()
        assert none.excess == pytest.approx(mean0)


def _gaussian_runs(d=2):
    target = targets.build("power_law", d, 1.0)
    return target, [(N, s) for N, s in ((4, 0), (64, 1))]


def test_nonlinear_runs_train_independently():
    """An MLP run's parameters are the same trained alone or in lockstep with another run."""
    target, runs = _gaussian_runs()
    t = denoiser.terms(ddpm.Schedule(T=20, beta_min=1e-2, beta_max=0.3))
    st = nonlinear.Settings(width=8, steps=12, batch=4, chunk=5)
    both = nonlinear.train([target.training_set(N, s) for N, s in runs], runs, t, st)
    alone = nonlinear.train([target.training_set(*runs[1])], runs[1:], t, st)
    for p, q in zip(both, alone):
        torch.testing.assert_close(p[1:], q, rtol=1e-5, atol=1e-6)


def test_nonlinear_denoiser_learns_gaussian_data():
    """300 Adam steps on N = 256 Gaussian points bring the MLP's test error (k uniform) from
    about 1 (ε̂ ≈ 0) to within 0.05 of the Wiener error; its samples have the target's
    covariance within 25 %."""
    target = targets.build("power_law", 2, 1.0)
    t = denoiser.terms(ddpm.Schedule(T=50, beta_min=1e-3, beta_max=0.3))
    runs = [(256, 0)]
    st = nonlinear.Settings(width=32, steps=300, batch=128, lr=5e-3, lr_final=5e-4)
    params = nonlinear.train([target.training_set(256, 0)], runs, t, st)
    pts = torch.as_tensor(target.draw(4000, streams.generator(1, "t")), dtype=torch.float32)[None]
    err, se = nonlinear.denoising_error(params, pts, t, streams.generator(2, "e"), 4000)
    wiener = closed_form.optimum(target.population, t, ["ddpm"])["test_error"]
    assert err[0] - wiener < 0.05 + 3 * se[0]
    x = nonlinear.sample(params, runs, t, 2000, 2)[0]
    np.testing.assert_allclose(np.cov(x.T), target.population.cov, atol=0.25 * 1.4)


def test_figures_draw_the_tables(tmp_path):
    """The hierarchy and non-Gaussian drawing functions return the series they drew."""
    t = denoiser.terms(ddpm.Schedule(T=50, beta_min=1e-3, beta_max=0.3))
    paths = []
    for a in (0.0, 2.0):
        df = sweep.regularisation_paths(targets.build("power_law", 4, a), t, N_over_d=[0.5, 4],
                                        seeds=[0, 1], ridge=[0.1], times=[10.0], sampler="ddpm")
        p = tmp_path / f"h{a}.parquet"
        df.assign(target=f"α = {a:g}", exponent=a).to_parquet(p)
        paths.append(str(p))
    fig, drawn = plots.hierarchy({"tables": paths}, {})
    best = drawn["best"]
    assert set(best.regime) == {"none", "best ridge", "best time"}
    assert len(best) == 2 * 2 * 3  # exponents × N × regimes
    cells = []
    for name in ("power_law", "student_t"):
        df = sweep.cell(targets.build(name, 4, 1.0), t, N_over_d=[0.5, 4], seeds=[0, 1],
                        ridge=[0.0], times=[10.0], samplers=["ddpm"], mc_samples=200)
        p = tmp_path / f"{name}.parquet"
        df.to_parquet(p)
        cells.append(str(p))
    fig, drawn = plots.non_gaussian({"tables": cells}, {})
    ng = drawn["non_gaussian"]
    assert set(ng.target) == {"power_law", "student_t"} and len(ng) == 4
    raw = pd.read_parquet(cells[1])
    raw = raw[(raw.N == 16) & raw.kl_mc.notna()]
    assert ng[(ng.target == "student_t") & (ng.N == 16)].kl_mc_per_dim.iloc[0] == pytest.approx(
        raw.kl_mc.mean() / 4)


@pytest.mark.parametrize("law,dof", [("gaussian", 0), ("student_t", 12), ("laplace_latent", 0)])
def test_fourth_moment_of_the_white_laws(law, dof):
    """E ‖z‖⁴ against 100 000 draws, within 5 standard errors (ν = 12: finite 8th moment)."""
    z = laws.draw_white(law, 100_000, 3, dof, streams.generator(3, "m4", law))
    r4 = (z * z).sum(1) ** 2
    assert abs(r4.mean() - laws.fourth_moment(law, 3, dof)) < 5 * r4.std() / math.sqrt(len(r4))
    assert laws.fourth_moment("student_t", 3, 6) == pytest.approx(2 * 15)


def test_moment_matched_kl_law_is_the_gaussian_law_at_large_N():
    from easy2hard.linear import theory

    d, N = 8, 80_000
    assert theory.kl_moment_matched(d, N, laws.fourth_moment("gaussian", d)) == pytest.approx(
        theory.kl_wishart(d, N), rel=1e-3)


def test_distinct_drops_repeats_in_order():
    from easy2hard.linear import comparison

    x = np.array([[2.0, 0], [1, 1], [2, 0], [0, 3], [1, 1]])
    np.testing.assert_array_equal(comparison.distinct(x), [[2, 0], [1, 1], [0, 3]])


def test_ideal_sampler_reference_is_the_wishart_expectation_on_gaussians():
    """The Monte-Carlo reference kl_ideal equals the exact Gaussian expectation (§10.5) within
    4 s.e., and sees the Student-t's heavier tails (larger than the Gaussian's, §10.8)."""
    from easy2hard.linear import theory

    d, N = 8, 40
    mean, se = sweep.ideal_kl(targets.gaussian("power_law", d), N, 600)
    assert abs(mean - theory.kl_wishart(d, N)) < 4 * se
    t_mean, t_se = sweep.ideal_kl(targets.non_gaussian("student_t", d), 8 * N, 600)
    assert t_mean - 4 * t_se > 1.3 * theory.kl_wishart(d, 8 * N)


def test_cell_adds_the_ideal_reference_above_d_for_non_gaussian_laws():
    t = denoiser.terms(ddpm.Schedule(T=10, beta_min=0.01, beta_max=0.5))
    df = sweep.cell(targets.non_gaussian("laplace_latent", 4), t, N_over_d=[1, 4], seeds=[0],
                    ridge=[0.0], times=[10.0], samplers=["ddpm"], ideal_reps=50)
    above = df["N"] > df["d"]
    assert df.loc[above, "kl_ideal"].gt(0).all() and df.loc[~above, "kl_ideal"].isna().all()


def test_gaussian_w2_matches_the_matrix_square_root_formula():
    """W₂ of the sampled Gaussians against scipy's sqrtm form, and 0 for the target itself."""
    from scipy.linalg import sqrtm

    t = denoiser.terms(ddpm.Schedule(T=50, beta_min=0.001, beta_max=0.1))
    target = targets.gaussian("power_law", 6)
    fits = [denoiser.fit(target.training_set(12, s)) for s in (0, 1)]
    out = closed_form.evaluate(fits, target.population, t, [0.0, 0.1], [np.inf], ["ddpm"])
    w2 = closed_form.gaussian_w2(target.population, np.stack([f.U for f in fits]), out["mean"],
                                 out["var"])
    pop = target.population
    m, U = out["mean"][0, 1, 1, 0], fits[1].U
    S = U @ np.diag(out["var"][0, 1, 1, 0]) @ U.T
    root = sqrtm(pop.cov)
    ref = (((m - pop.mean) ** 2).sum() + np.trace(S) + np.trace(pop.cov)
           - 2 * np.trace(sqrtm(root @ S @ root)).real)
    assert w2[0, 1, 1, 0] == pytest.approx(math.sqrt(ref), rel=1e-8)
    c, V = np.linalg.eigh(pop.cov)
    own = closed_form.gaussian_w2(pop, V[None], pop.mean[None, None, None, None],
                                  c[None, None, None, None])
    assert own.item() == pytest.approx(0.0, abs=1e-6)
