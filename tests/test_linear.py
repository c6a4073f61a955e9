"""Linear diffusion models (docs/science.md §10): closed forms against autograd, the matrix
sampler, the project's DDPM sampler and real (Adam, SGD) training; the plan's checks; and
the stage on its tiny config through the real workflow."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from easy2hard.core import ddpm, streams
from easy2hard.linear import (closed_form, closed_form_kernel, denoiser, patches, sampling, samples,
                              targets, theory, training)
from easy2hard.pipeline import config as e2h_config
from easy2hard.pipeline import plan

from .conftest import load_test_config


def _terms(T=30):
    return denoiser.terms(ddpm.Schedule(T=T, beta_min=1e-3, beta_max=0.3))


def _fit(d=5, N=9, seed=0, kind="power_law"):
    target = targets.gaussian(kind, d, 1.0)
    return target, denoiser.fit(target.training_set(N, seed))


def _expected_loss(W, fit_, a, s, lam):
    """L_k(W) = a² tr(W C Wᵀ) + ||s W - I||² + λ ||W||², C = U diag(c) Uᵀ (torch, for autograd)."""
    C = torch.as_tensor(fit_.U * fit_.c @ fit_.U.T)
    eye = torch.eye(len(C), dtype=W.dtype)
    return a * a * torch.trace(W @ C @ W.T) + (s * W - eye).square().sum() + lam * W.square().sum()


@pytest.mark.parametrize("lam", [0.0, 0.3])
def test_gradient_flow_closed_form_solves_the_flow(lam):
    """dW/dτ of the closed form equals -∇L_k (autograd) at W(τ), and ∇L_k = 0 at τ = ∞."""
    _, fit_ = _fit(N=4)  # N < d: a rank-deficient C
    t = _terms()
    for k in (0, 7, 29):
        a, s = t.a[k], t.s[k]
        for tau in (0.05, 1.0, 20.0, np.inf):
            W = torch.tensor(denoiser.matrix(fit_, denoiser.weights(fit_.c, a, s, lam, tau)),
                             requires_grad=True)
            _expected_loss(W, fit_, a, s, lam).backward()
            if np.isinf(tau):
                assert W.grad.abs().max() < 1e-9
                continue
            h = 1e-6 * max(tau, 1)
            dW = (denoiser.matrix(fit_, denoiser.weights(fit_.c, a, s, lam, tau + h))
                  - denoiser.matrix(fit_, denoiser.weights(fit_.c, a, s, lam, tau - h))) / (2 * h)
            np.testing.assert_allclose(dW, -W.grad.numpy(), atol=1e-5 * (1 + np.abs(dW).max()))


@pytest.mark.parametrize("kind", sampling.SAMPLERS)
def test_eigen_recursion_equals_matrix_recursion(kind):
    """KL and test error of closed_form.evaluate (scalar recursions in C's eigenbasis) equal
    the full-matrix sampler recursion and the matrix test error of the same denoisers."""
    target, _ = _fit()
    t = _terms()
    fits = [denoiser.fit(target.training_set(N, s)) for N, s in ((3, 0), (9, 1), (40, 2))]
    lams, taus = [0.0, 0.05], [2.0, np.inf]
    out = closed_form.evaluate(fits, target.population, t, lams, taus, [kind])
    for r, f in enumerate(fits):
        for i, lam in enumerate(lams):
            for j, tau in enumerate(taus):
                w = denoiser.weights(f.c[None], t.a[:, None], t.s[:, None], lam, tau)
                W = torch.as_tensor(denoiser.matrix(f, w))[None]
                mhat = torch.as_tensor(f.mean)[None]
                mu, S = sampling.moments(W, mhat, t, kind)
                kl = sampling.kl_of_moments(target.population, mu, S)[0]
                err = training.exact_test_error(W, mhat, target, t)[0]
                if math.isinf(out["kl"][0, r, i, j]):
                    assert math.isinf(kl) and fits[r].c.min() == 0 and lam == 0 and np.isinf(tau)
                else:
                    assert kl == pytest.approx(out["kl"][0, r, i, j], rel=1e-6, abs=1e-9)
                assert err == pytest.approx(out["test_error"][r, i, j], rel=1e-9)


@pytest.mark.parametrize("chunk", [1, 7, 50])
def test_compiled_steps_equal_the_plain_expressions_bit_for_bit(chunk):
    """closed_form.evaluate (compiled steps, several steps per chunk) returns exactly the
    numbers of evaluate_reference (numpy expressions step by step): rank-deficient and full
    fits, non-zero means, finite and infinite τ, both samplers, d past one summation block."""
    t = _terms(T=23)
    for d, sizes in ((5, (3, 9, 40)), (150, (20, 300))):
        target = targets.Target("shifted", targets.Population(
            np.linspace(-1, 1, d), np.diag(targets.spectrum("power_law", d, 1.0))))
        fits = [denoiser.fit(target.training_set(N, s)) for s, N in enumerate(sizes)]
        args = (fits, target.population, t, [0.0, 0.01, 1.0], [0.5, 7.0, 300.0, np.inf],
                list(sampling.SAMPLERS))
        out, ref = closed_form.evaluate(*args, chunk=chunk), closed_form.evaluate_reference(*args)
        assert out.keys() == ref.keys()
        for key in ref:
            np.testing.assert_array_equal(out[key], ref[key], err_msg=key)


def test_compiled_pairwise_sum_is_numpys_sum():
    """closed_form_kernel.pairwise_sum reproduces numpy's float64 sum of a row exactly."""
    rng = np.random.default_rng(0)
    for n in (*range(1, 40), 127, 128, 129, 136, 255, 256, 257, 1000, 4099):
        x = rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8, n)
        assert closed_form_kernel.pairwise_sum(x, 0, n) == x.sum(), n


def test_exact_moments_match_the_project_ddpm_sampler():
    """core.ddpm.sample with the closed-form linear denoiser draws from N(mu, S) of
    sampling.moments. Tolerance: 5 standard errors of each sample moment (n = 20 000 draws;
    SE of a covariance entry sqrt((S_ii S_jj + S_ij²)/n)); float32 sampling adds ~1e-6."""
    target, fit_ = _fit(d=3, N=12, seed=3)
    schedule = ddpm.Schedule(T=40, beta_min=1e-3, beta_max=0.3)
    t, n = denoiser.terms(schedule), 20_000
    x = samples.draw(fit_, schedule, 0.05, n, 0, "test")
    w = denoiser.weights(fit_.c[None], t.a[:, None], t.s[:, None], 0.05, np.inf)
    mu, S = sampling.moments(torch.as_tensor(denoiser.matrix(fit_, w))[None],
                             torch.as_tensor(fit_.mean)[None], t, "ddpm")
    mu, S = mu[0].numpy(), S[0].numpy()
    diag = np.diag(S)
    assert np.all(np.abs(x.mean(0) - mu) < 5 * np.sqrt(diag / n))
    se_cov = np.sqrt((np.outer(diag, diag) + S**2) / n)
    assert np.all(np.abs(np.cov(x.T, bias=True) - S) < 5 * se_cov)


def test_digamma_and_the_wishart_kl():
    """ψ at known points; the expected ideal KL against a Monte-Carlo average over 400
    training sets (tolerance 4 standard errors of that average)."""
    gamma = 0.5772156649015329
    assert theory.digamma(1.0) == pytest.approx(-gamma, abs=1e-12)
    assert theory.digamma(0.5) == pytest.approx(-gamma - 2 * math.log(2), abs=1e-12)
    assert theory.digamma(10.3) - theory.digamma(9.3) == pytest.approx(1 / 9.3, abs=1e-12)
    target = targets.gaussian("power_law", 4, 1.5)
    pop, kls = target.population, []
    for seed in range(400):
        f = denoiser.fit(target.training_set(12, seed))
        C = f.U * f.c @ f.U.T
        kls.append(sampling.gaussian_kl(pop, f.mean, np.trace(pop.prec @ C),
                                        np.linalg.slogdet(C)[1]))
    se = np.std(kls, ddof=1) / math.sqrt(len(kls))
    assert abs(np.mean(kls) - theory.kl_wishart(4, 12)) < 4 * se
    assert math.isinf(theory.kl_wishart(4, 4))
    assert theory.kl_wishart(8, 8000) == pytest.approx(theory.kl_asymptote(8, 8000), rel=0.01)


def test_fine_ddpm_is_close_to_the_ideal_sampler_and_collapse_is_infinite():
    """With T = 1000 the population optimum samples its target almost exactly (KL < 1e-3);
    N <= d at λ = 0, τ = ∞ collapses (KL = ∞), and ridge or early stopping keep it finite."""
    target = targets.gaussian("isotropic", 8)
    t = denoiser.terms(ddpm.Schedule())
    assert closed_form.optimum(target.population, t, ["ddpm", "ddim"])["kl"].max() < 1e-3
    fits = [denoiser.fit(target.training_set(8, 0))]
    kl = closed_form.evaluate(fits, target.population, t, [0.0, 0.1], [10.0, np.inf], ["ddpm"])["kl"]
    assert math.isinf(kl[0, 0, 0, 1])
    assert np.isfinite(kl[0, 0, 0, 0]) and np.isfinite(kl[0, 0, 1, :]).all()


def test_reduce_patches_pools_then_crops():
    x = np.arange(2 * 8 * 8, dtype=np.float32).reshape(2, 1, 8, 8)
    y = patches.reduce_patches(x, 2, 2)
    pooled = x[:, 0].reshape(2, 4, 2, 4, 2).mean((2, 4))
    np.testing.assert_allclose(y, pooled[:, 1:3, 1:3].reshape(2, 4))
    with pytest.raises(ValueError, match="exceeds"):
        patches.reduce_patches(x, 2, 5)


def _se_check(final: pd.DataFrame, key: str):
    """Seed means of trained and closed-form ``key`` agree within 3 standard errors of the
    seed mean of the closed form (sd over S seeds / sqrt(S)): the run-to-run spread of the
    training sets is the noise on which the stage's claims rest. Per N."""
    for N, g in final.groupby("N"):
        se = g[f"{key}_closed"].std(ddof=1) / math.sqrt(len(g))
        diff = g[key].mean() - g[f"{key}_closed"].mean()
        assert abs(diff) < 3 * se, f"N={N} {key}: trained - closed = {diff:.4g}, SE {se:.4g}"


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_trained_linear_denoisers_match_the_closed_forms(optimizer):
    """Adam (to the optimum) and SGD (along the flow, τ = Σ lr) on the sampled DDPM loss give
    the closed-form KL and test error, for N < d (ridge 0.01) and N > d, 8 seeds each."""
    target = targets.gaussian("power_law", 6, 1.0)
    t = denoiser.terms(ddpm.Schedule(T=20, beta_min=1e-2, beta_max=0.5))
    runs = [(N, seed) for N in (3, 24) for seed in range(8)]
    hp = dict(lr=0.03, lr_final=1e-4, steps=2500) if optimizer == "adam" else \
        dict(lr=0.01, lr_final=0.01, steps=600)
    df = training.train(target, runs, t, ridge=0.01, optimizer=optimizer, batch=16,
                        log_points=4, sampler="ddpm", **hp)
    final = df[df.step == df.step.max()]
    _se_check(final, "kl")
    _se_check(final, "test_error")
    if optimizer == "sgd":  # mid-training too: the early-stopped model
        _se_check(df[df.step == sorted(df.step.unique())[-2]], "kl")


def test_trained_check_fails_when_training_is_too_short():
    """The agreement above is not automatic: 20 Adam steps are far from the optimum."""
    target = targets.gaussian("power_law", 6, 1.0)
    t = denoiser.terms(ddpm.Schedule(T=20, beta_min=1e-2, beta_max=0.5))
    df = training.train(target, [(24, s) for s in range(8)], t, ridge=0.01, optimizer="adam",
                        lr=0.03, lr_final=0.03, steps=20, batch=16, log_points=2, sampler="ddpm")
    with pytest.raises(AssertionError):
        _se_check(df[df.step == 20], "kl")


def test_training_streams_do_not_depend_on_companions():
    """A run's trajectory is the same alone or in lockstep with other runs."""
    target = targets.gaussian("isotropic", 3)
    t = denoiser.terms(ddpm.Schedule(T=5, beta_min=1e-2, beta_max=0.5))
    kw = dict(ridge=0.0, optimizer="sgd", lr=0.01, lr_final=0.01, steps=15, batch=4,
              log_points=2, sampler="ddpm")
    alone = training.train(target, [(6, 1)], t, **kw)
    both = training.train(target, [(9, 0), (6, 1)], t, **kw)
    np.testing.assert_allclose(both[both.N == 6].kl.to_numpy(), alone.kl.to_numpy(), rtol=1e-5)
    assert streams.generator(1, "linear", "train", "isotropic", 3, 6).initial_seed() != \
        streams.generator(0, "linear", "train", "isotropic", 3, 6).initial_seed()


def _cfg(**linear):
    cfg = load_test_config("linear")
    cfg["linear"].update(linear)
    return e2h_config.validate(cfg, cross_key=False)  # the test calls the stage check itself


def test_plan_checks_name_the_key():
    assert plan.linear.check(_cfg()) == []
    msgs = plan.linear.check(_cfg(d=[5]))
    assert any("'linear.d'" in m and "side²" in m for m in msgs)
    assert any("linear.figures.regularisation" in m for m in msgs)
    assert any("'linear.N_over_d'" in m and "N >= 2" in m for m in plan.linear.check(_cfg(N_over_d=[0.1])))
    assert plan.linear.targets(_cfg(targets=[]), "results") == []
    spec = plan.linear.cell_spec(_cfg(), "isotropic")
    assert "d" not in spec and "targets" not in spec and spec["N_over_d"] == [0.5, 1, 2, 4]
    assert "student_t_dof" in plan.linear.cell_spec(_cfg(), "student_t")
    assert "student_t_dof" not in plan.linear.cell_spec(_cfg(), "power_law")
    nl = dict(_cfg()["linear"]["nonlinear"], samples=500)
    assert any("'linear.nonlinear.samples'" in m for m in plan.linear.check(_cfg(nonlinear=nl)))
    hi = dict(_cfg()["linear"]["hierarchy"], d=[10])
    assert any("'linear.hierarchy.d'" in m for m in plan.linear.check(_cfg(hierarchy=hi)))
    files = plan.linear.targets(_cfg(), "results")
    assert "results/figures/linear_nonlinear.png" in files
    assert "results/figures/linear_hierarchy.png" not in plan.linear.targets(
        _cfg(hierarchy=dict(hi, d=[])), "results")


@pytest.mark.slow
def test_stage_runs_on_the_tiny_config(run_workflow):
    """The stage's rules on config/test/linear.yaml: tables, the ∞ KL of N <= d at λ = 0,
    finite KL with ridge, and every figure."""
    run_workflow(load_test_config("linear"))
    res = run_workflow.workdir / "results"
    df = pd.read_parquet(res / "linear/closed_form/isotropic/d9.parquet")
    opt = df[(df.ridge == 0) & np.isinf(df.tau)]
    assert np.isinf(opt[opt.N <= 9].kl).all() and np.isfinite(opt[opt.N > 9].kl).all()
    assert np.isfinite(df[df.ridge > 0].kl).all()
    trained = pd.read_parquet(res / "linear/trained/isotropic/d4.parquet")
    assert set(trained.optimizer) == {"adam", "sgd"}
    st = pd.read_parquet(res / "linear/closed_form/student_t/d9.parquet")
    mc = st[st.kl_mc.notna()]
    assert np.isinf(mc[mc.N <= 9].kl_mc).all() and (mc[mc.N > 9].kl_mc > st.kl_mc_opt.iloc[0]).all()
    hier = pd.read_parquet(res / "linear/hierarchy/d9.parquet")
    assert set(hier.target) == {"α = 0", "α = 2", "natural_patches"}
    nl = pd.read_parquet(res / "linear/nonlinear/natural_patches_d4.parquet")
    assert set(nl.model) == {"mlp", "linear", "gaussian", "heldout"} and len(nl) == 4 * 2 * 2
    for name in ("kl", "test_error", "regularisation", "samples", "trained", "hierarchy",
                 "non_gaussian", "nonlinear"):
        assert (res / f"figures/linear_{name}.png").stat().st_size > 0


def test_closed_form_cost_adds_the_ideal_sampler_draws_of_non_gaussian_laws():
    """A non-Gaussian law's closed form costs its Gaussian twin's fits plus the ideal-sampler
    draws, which grow with linear.ideal_reps; the fits grow with the seeds."""
    from easy2hard.pipeline.unit_costs import unit

    def costs(**lin) -> tuple[float, float]:
        raw = load_test_config("linear")
        raw["linear"].update(lin)
        cfg = e2h_config.validate(raw)
        return tuple(plan.linear.closed_form_cost(cfg, t, "9").seconds
                     for t in ("isotropic", "student_t"))

    gauss, law = costs(ideal_reps=100)
    gauss2, law2 = costs(ideal_reps=200)
    assert gauss2 == gauss and law > gauss
    assert law2 - gauss2 == pytest.approx(2 * (law - gauss))
    more_seeds, _ = costs(ideal_reps=100, seeds=[0, 1, 2, 3])
    start = unit("torch_start")
    assert more_seeds - start == pytest.approx(2 * (gauss - start))
