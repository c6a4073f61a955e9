"""The synthetic half of the fourier stage: the |k|^-α model with sparse phases, its
Bayes-optimal denoiser, the lockstep denoiser trainer, the phase classifier (numba kernel),
the thresholds with bootstrap intervals and the synthetic figures (docs/science.md §12.3-12.5)."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
import torch

from easy2hard.core import streams
from easy2hard.core.lockstep import checkpoint_steps
from easy2hard.fourier import analysis, classifier, plots, synthetic, training
from easy2hard.fourier import classifier_kernel as kernel
from easy2hard.pipeline.plan import fourier as fourier_plan
from tests.conftest import load_test_config

matplotlib.use("Agg")


# --------------------------------------------------------------------- synthetic
@pytest.mark.parametrize("alpha", [0.0, 1.0, 2.0])
def test_synthetic_spectrum_is_a_normalised_power_law(alpha):
    N = 32
    A = synthetic.spectrum(N, alpha)
    k = np.arange(1, N // 2 + 1)
    assert A[0] == 0 and torch.allclose(A[1:], A[1:].flip(0))
    slope = np.polyfit(np.log(k), np.log(A[1:N // 2 + 1].numpy()), 1)[0]
    assert slope == pytest.approx(-alpha, abs=1e-9)
    assert float(A.square().sum()) == pytest.approx(N ** 2)


@pytest.mark.parametrize("kind", synthetic.KINDS)
def test_synthetic_signals_have_the_spectrum_exactly(kind):
    N, alpha = 16, 1.0
    x = synthetic.sample(kind, 200, N, alpha, 0.25, "random", torch.Generator().manual_seed(0))
    assert x.shape == (200, N)
    assert torch.allclose(torch.fft.fft(x).abs(), synthetic.spectrum(N, alpha).expand(200, N), atol=1e-9)
    assert torch.allclose(x.square().sum(1), torch.full((200,), float(N), dtype=x.dtype), rtol=1e-12)


def test_one_spike_with_a_flat_spectrum_is_a_translated_kernel():
    N = 12
    x = synthetic.sample("data", 5, N, 0.0, 1 / N, "positive", torch.Generator().manual_seed(2))
    kernel = torch.fft.ifft(synthetic.spectrum(N, 0.0).to(torch.complex128)).real
    for row in x:
        p = int(row.argmax())
        assert torch.allclose(row, kernel.roll(p), atol=1e-12)


def test_data_and_clone_share_the_circulant_covariance():
    # E[X_k conj X_k'] = A_k² δ_kk' for both sets. Off-diagonal entries of the empirical
    # Fourier covariance, normalised by A_k A_k', average n terms of modulus one: their
    # standard deviation is ~ 1/sqrt(n); allow 6 sigma over the 16 x 16 entries.
    N, n, alpha = 16, 8000, 1.0
    A = synthetic.spectrum(N, alpha)[1:]
    for kind in synthetic.KINDS:
        x = synthetic.sample(kind, n, N, alpha, 0.125, "random", torch.Generator().manual_seed(5))
        X = torch.fft.fft(x)[:, 1:] / A
        C = (X.T @ X.conj()) / n
        off = C - torch.diag(torch.diagonal(C))
        assert torch.allclose(torch.diagonal(C).real, torch.ones(N - 1, dtype=torch.float64), atol=1e-9)
        assert off.abs().max() < 6 / math.sqrt(n)


def test_linear_loss_of_a_flat_spectrum():
    N, t = 10, 0.4
    lam = N / (N - 1)  # every non-zero frequency; the zero frequency carries nothing
    s = math.exp(-2 * t) * lam
    expect = (N - 1) / N * s / (s + 1 - math.exp(-2 * t))
    assert synthetic.linear_loss(N, 0.0, t) == pytest.approx(expect, rel=1e-12)


# ---------------------------------------------------------------------- training
def autoencoder(N, m, R, t):
    from types import SimpleNamespace

    from easy2hard.networks import models

    arch, tt = models.Arch("autoencoder", N, m), torch.full((R,), t)
    groups = models.activation_groups(["tanh"] * R)
    den = SimpleNamespace(forward=lambda p, x: models.forward(arch, p, x, groups, tt),
                          grads=lambda p, xt, z: models.autoencoder_grads(p, xt, z, groups, tt))
    return arch, den


def train_runs(seeds, N=8, m=6, t=0.3, steps=20):
    from easy2hard.networks import models

    R = len(seeds)
    arch, den = autoencoder(N, m, R, t)
    params = models.init(arch, [streams.generator(s, "init") for s in seeds])
    draw = lambda kind, s, n: synthetic.sample(kind, n, N, 1.0, 0.25, "random",  # noqa: E731
                                               streams.generator(s, kind)).float()
    tests = {k: torch.stack([draw(k, s, 30) for s in seeds]) for k in synthetic.KINDS}
    tests["z"] = torch.stack([torch.randn(30, N, generator=streams.generator(s, "z")) for s in seeds])
    sources = [(lambda g: lambda n: synthetic.sample("data", n, N, 1.0, 0.25, "random", g).float())(
        streams.generator(s, "data")) for s in seeds]
    return training.train(den, params, sources, [streams.generator(s, "noise") for s in seeds], tests,
                          t=t, steps=steps, batch=4, lr=0.01, log_points=5, chunk=7)


def test_lockstep_runs_match_runs_trained_alone():
    both = train_runs([0, 1])
    alone = train_runs([1]).drop(columns="run")
    mine = both[both["run"] == 1].drop(columns="run").reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, alone, rtol=1e-5, atol=1e-6)
    assert sorted(both["step"].unique()) == [0, *checkpoint_steps(20, 5)]
    assert (both.loc[both["step"] == 20, "loss_data"] < both.loc[both["step"] == 0, "loss_data"].values).all()


# ---------------------------------------------------------------------- analysis
def test_denoiser_thresholds_interpolate_in_log_n_and_mark_misses():
    n = np.array([0, 10, 100, 1000])
    rows = []
    for seed in (0, 1):
        for N, gains in ((8, [0.0, 0.0, 0.05, 0.3]), (16, [0.0, 0.0, 0.01, 0.02])):
            for ni, g in zip(n, gains):
                rows.append({"N": N, "alpha": 0.0, "seed": seed, "n": ni, "loss_linear": 2.0,
                             "loss_clone": 2.0, "loss_data": 2.0 * (1.0 - g)})
    th = analysis.thresholds(pd.DataFrame(rows), margin=0.1).set_index("N")
    # improvement 0.05 at n = 100 and 0.3 at n = 1000: 0.1 is 1/5 of the way in log n
    assert th.loc[8, "n_star"] == pytest.approx(100 * 10 ** 0.2)
    assert np.isnan(th.loc[16, "n_star"]) and th.loc[16, "n_max"] == 1000



def test_bayes_denoiser_beats_the_linear_one_and_knows_every_one_spike_signal():
    N, alpha, t = 8, 0.0, 0.3
    T = synthetic.one_spike_templates(N, alpha)
    x = synthetic.sample("data", 50, N, alpha, 1 / N, "random", torch.Generator().manual_seed(3))
    assert (x[:, None] - T).abs().amax(-1).min(1).values.max() < 1e-9  # the templates are the model's support
    loss, se = synthetic.bayes_loss(N, alpha, t, 4000, torch.Generator().manual_seed(0))
    assert loss < synthetic.linear_loss(N, alpha, t) - 10 * se
    # at a large t the posterior is the prior: the loss tends to the linear one (both → 1)
    far, far_se = synthetic.bayes_loss(N, alpha, 4.0, 4000, torch.Generator().manual_seed(0))
    assert far == pytest.approx(synthetic.linear_loss(N, alpha, 4.0), abs=5 * far_se + 1e-3)
    assert math.isnan(synthetic.reference_losses(16, alpha, t, 0.125)["loss_bayes"])


def test_wiener_map_has_the_linear_loss_and_is_circulant():
    N, alpha, t, n = 8, 1.0, 0.3, 40000
    L = synthetic.wiener_noise_map(N, alpha, t)
    assert torch.allclose(L, L.T) and torch.allclose(L[1:, 1:], L[:-1, :-1])
    g = torch.Generator().manual_seed(0)
    x0 = synthetic.sample("clone", n, N, alpha, 0.125, "random", g)
    z = torch.randn(n, N, generator=g, dtype=torch.float64)
    xt = math.exp(-t) * x0 + math.sqrt(-math.expm1(-2 * t)) * z
    per = ((xt @ L.T - z) ** 2).mean(1)
    assert float(per.mean()) == pytest.approx(synthetic.linear_loss(N, alpha, t), abs=5 * float(per.std()) / math.sqrt(n))


def test_linear_start_gradients_are_the_gradients_of_the_summed_denoiser():
    from easy2hard.networks import models

    N, m, R, t = 8, 5, 2, 0.3
    arch, den = autoencoder(N, m, R, t)
    L = torch.stack([synthetic.wiener_noise_map(N, a, t) for a in (0.0, 2.0)]).float()
    wrapped = training.with_linear(den, L)
    params = models.init(arch, [streams.generator(s, "init") for s in range(R)], a_init=0.0)
    params = {k: v.requires_grad_(True) for k, v in params.items()}
    xt, z = torch.randn(R, 6, N), torch.randn(R, 6, N)
    ((wrapped.forward(params, xt) - z) ** 2).mean((1, 2)).sum().backward()
    hand = wrapped.grads(params, xt, z)
    for k in ("W", "a", "b"):
        assert torch.allclose(hand[k], params[k].grad, atol=1e-5), k
    out = wrapped.forward(params, xt) - den.forward(params, xt)
    assert torch.allclose(out, torch.bmm(xt, L.transpose(1, 2)), atol=1e-5)


# -------------------------------------------------------------------- classifier
def inverse(X, N):
    return np.fft.irfft(X, n=N)


@pytest.mark.parametrize("alpha", [0.0, 1.5])
def test_kernel_samples_have_the_spectrum_and_the_torch_models_law(alpha):
    N, n = 16, 4000
    amp, c = classifier.half_spectrum(N, alpha)
    X, y = kernel.test_set(amp, N, 2, True, n, 7)
    assert np.allclose(np.abs(X), amp, atol=1e-9) and (y[:n] == 1).all() and (y[n:] == -1).all()
    x = inverse(X, N)
    assert np.allclose((x**2).sum(1), N)
    ref = synthetic.sample("data", n, N, alpha, 2 / N, "random", torch.Generator().manual_seed(1)).numpy()
    clone = synthetic.sample("clone", n, N, alpha, 2 / N, "random", torch.Generator().manual_seed(1)).numpy()
    # fourth moment per coordinate (pooled over the N coordinates of a translation-invariant
    # law): the kernel's data match the torch model's and differ from the clone's
    m4 = lambda v: (v**4).mean()  # noqa: E731
    se = lambda v: (v**4).std() / math.sqrt(v.size / N)  # noqa: E731 (coordinates are dependent)
    assert abs(m4(x[:n]) - m4(ref)) < 5 * math.hypot(se(x[:n]), se(ref))
    assert abs(m4(x[n:]) - m4(clone)) < 5 * math.hypot(se(x[n:]), se(clone))
    if alpha == 0.0:
        assert m4(ref) - m4(clone) > 5 * math.hypot(se(ref), se(clone))


def test_kernel_step_is_the_logistic_sgd_step_on_the_sphere():
    N = 12
    rng = np.random.default_rng(0)
    w, x = rng.standard_normal(N), rng.standard_normal(N)
    w /= np.linalg.norm(w)
    amp, c = classifier.half_spectrum(N, 0.0)
    W, X = np.fft.rfft(w), np.fft.rfft(x)
    he4 = np.zeros(0)
    assert kernel.heads(W, X[None], c, N, he4)[0] == pytest.approx(
        ((w @ x) ** 4 - 6 * (w @ x) ** 2 + 3) / math.sqrt(24))
    for y in (1.0, -1.0):
        b0, eta_w, eta_b = 0.3, 0.05, 0.01
        Wk = W.copy()
        b = kernel.step(Wk, b0, X, y, c, N, eta_w, eta_b, he4)
        h = w @ x
        f = (h**4 - 6 * h**2 + 3) / math.sqrt(24) + b0
        g = -y / (1 + math.exp(y * f))
        v = w - eta_w * g * 4 * (h**3 - 3 * h) / math.sqrt(24) * x
        assert np.allclose(inverse(Wk, N), v / np.linalg.norm(v), atol=1e-12)
        assert b == pytest.approx(b0 - eta_b * g)


def normalised_readout(w, x, C):
    u = (w @ x) / math.sqrt(w @ C @ w)
    return (u**4 - 6 * u**2 + 3) / math.sqrt(24)


def test_normalised_step_follows_the_gradient_of_the_variance_normalised_readout():
    """He₄(w·x/√(wᵀCw))/√24: the head and the SGD step against a finite-difference gradient
    in real space, C the circulant covariance with eigenvalues A_k²/N."""
    N, alpha = 12, 1.0
    rng = np.random.default_rng(4)
    w, x = rng.standard_normal(N), rng.standard_normal(N)
    w /= np.linalg.norm(w)
    amp, c = classifier.half_spectrum(N, alpha)
    lam = classifier.readout_eigenvalues(N, alpha, "normalised")
    C = np.stack([np.fft.irfft(lam * np.fft.rfft(e), n=N) for e in np.eye(N)], axis=1)
    assert np.trace(C) == pytest.approx(N)  # ‖x‖² = N on average
    W, X = np.fft.rfft(w), np.fft.rfft(x)
    assert kernel.heads(W, X[None], c, N, lam)[0] == pytest.approx(normalised_readout(w, x, C))
    grad = np.array([(normalised_readout(w + 1e-6 * e, x, C) - normalised_readout(w - 1e-6 * e, x, C))
                     / 2e-6 for e in np.eye(N)])
    b0, eta_w, eta_b, y = 0.2, 0.05, 0.01, -1.0
    Wk = W.copy()
    b = kernel.step(Wk, b0, X, y, c, N, eta_w, eta_b, lam)
    g = -y / (1 + math.exp(y * (normalised_readout(w, x, C) + b0)))
    v = w - eta_w * g * grad
    assert np.allclose(inverse(Wk, N), v / np.linalg.norm(v), atol=1e-8)
    assert b == pytest.approx(b0 - eta_b * g)
    with pytest.raises(ValueError, match="readout"):
        classifier.readout_eigenvalues(N, alpha, "he3")


def test_best_threshold_error_matches_brute_force():
    rng = np.random.default_rng(1)
    score, y = rng.standard_normal(300), np.where(rng.random(300) < 0.5, 1.0, -1.0)
    score[y > 0] += 0.7
    brute = min(np.mean((score > tau) != (y > 0)) for tau in np.concatenate([[-np.inf], score]))
    assert classifier.best_threshold_error(score, y) == pytest.approx(brute)


def tiny_settings(**kw):
    base = dict(N=8, alpha=0.0, density=0.125, signs="random", lr=0.3, bias_lr=0.001,
                n_max=20 * 8**3, eval_samples=400, log_points=12, level=0.5, after=1, seed=0)
    return classifier.Settings(**{**base, **kw})


def test_classifier_run_is_reproducible_starts_at_chance_and_learns_the_phases():
    a, b = classifier.run(tiny_settings()), classifier.run(tiny_settings())
    pd.testing.assert_frame_equal(a, b)
    assert not classifier.run(tiny_settings(seed=1))["error"].equals(a["error"])
    # at n = 0 the neuron is random: its error is 1/2 up to the test set's binomial noise
    assert abs(a["error"].iloc[0] - 0.5) < 4 * math.sqrt(0.25 / 800) + 0.05
    # N = 8 (one spike) learns well within 20 N³ samples; the run stops after the level
    assert a["error"].min() <= a["error_level"].iloc[0] and a["n"].max() < 20 * 8**3
    assert a["oracle_error"].iloc[0] < 0.3 and set(a["alpha"]) == {0.0}


def test_planted_whitened_neuron_removes_the_spectrum():
    N, alpha = 16, 2.0
    amp, c = classifier.half_spectrum(N, alpha)
    coord, white = classifier.planted(N, alpha)
    X, _ = kernel.test_set(amp, N, 2, True, 50, 3)
    # along the whitened coordinate, h is the α = 0 signal's first coordinate up to one scale
    X0 = X * np.where(amp > 0, classifier.half_spectrum(N, 0.0)[0] / np.where(amp > 0, amp, 1), 0)
    h, h0 = inverse(X, N) @ inverse(white, N), inverse(X0, N)[:, 0]
    assert np.allclose(h / h0, (h / h0)[0]) and np.linalg.norm(inverse(white, N)) == pytest.approx(1)
    assert np.allclose(inverse(coord, N), np.eye(N)[0])  # the coordinate e₀


# ---------------------------------------------------------------------- analysis
def test_first_passage_down_and_censored_median():
    n = np.array([0, 10, 100, 1000.0])
    assert analysis.first_passage_down(n, np.array([0.5, 0.5, 0.45, 0.25]), 0.41) == pytest.approx(
        100 * 10 ** 0.2)
    assert np.isnan(analysis.first_passage_down(n, np.array([0.5, 0.5, 0.5, 0.45]), 0.4))
    assert analysis.censored_median(np.array([1.0, 2.0, np.nan])) == 2.0
    assert np.isnan(analysis.censored_median(np.array([1.0, np.nan, np.nan])))


def fake_passages(slope, Ns=(8, 16, 32, 64), seeds=8, noise=0.1, censored=()):
    rng = np.random.default_rng(0)
    rows = [{"N": N, "alpha": 0.0, "seed": s, "n_max": 100.0 * N**slope, "error_level": 0.4,
             "oracle_error": 0.3, "n_star": np.nan if (N, s) in censored
             else N**slope * math.exp(noise * rng.standard_normal())}
            for N in Ns for s in range(seeds)]
    return pd.DataFrame(rows)


def summary(passages, samples=400):
    thr = analysis.bootstrap_medians(passages, samples, 0.9, 0)
    return thr, analysis.exponents(thr, passages, 0.9, samples, 0)


def test_bootstrap_recovers_the_exponent_with_an_interval_that_shrinks_with_noise():
    wide, narrow = [summary(fake_passages(3.0, noise=s))[1] for s in (0.5, 0.05)]
    for e in (wide, narrow):
        r = e.iloc[0]
        assert r["slope_lo"] <= 3.0 <= r["slope_hi"] and r["fit_points"] == 4
        # ln² N grows over the sweep: the corrected slope is 3 − d ln ln² N / d ln N < 3
        assert r["slope_log2"] < r["slope"]
    assert (narrow["slope_hi"] - narrow["slope_lo"]).iloc[0] < (wide["slope_hi"] - wide["slope_lo"]).iloc[0]
    thr = analysis.bootstrap_medians(fake_passages(3.0, censored={(64, s) for s in range(5)}), 100, 0.9, 0)
    row = thr.set_index("N").loc[64]
    assert np.isnan(row["n_star"]) and row["n_censored"] == 5 and row["n_star_hi"] == np.inf


def test_censored_seeds_open_the_upper_ends_instead_of_being_dropped():
    """3 of 8 seeds censored at the largest N: about 1 replicate in 10 has a censored median
    there; kept as +inf it opens the upper end of the median's and the slope's 90 % interval
    (dropping those replicates gave a finite, lower one)."""
    thr, exps = summary(fake_passages(3.0, censored={(64, s) for s in range(3)}), 1000)
    row = thr.set_index("N").loc[64]
    assert np.isfinite(row["n_star"]) and row["n_star_hi"] == np.inf
    r = exps.iloc[0]
    assert r["fit_points"] == 4 and np.isfinite(r["slope"]) and r["slope_hi"] == np.inf
    assert np.isfinite(r["slope_lo"]) and r["slope_lo"] < 3.0


def test_exponent_is_fitted_over_the_N_of_one_task():
    """N = 8 with another planted error (one spike per signal) and a far smaller n* is left
    out of the fit (N_fitted), kept in the mixed control slope_all_N."""
    p = fake_passages(3.0, noise=0.05)
    p.loc[p["N"] == 8, "oracle_error"] = 0.15
    p.loc[p["N"] == 8, "n_star"] /= 20
    thr, exps = summary(p)
    assert thr.set_index("N")["same_task"].to_dict() == {8: False, 16: True, 32: True, 64: True}
    assert thr.set_index("N").loc[8, "oracle_error"] == pytest.approx(0.15)
    r = exps.iloc[0]
    assert r["N_fitted"] == "16,32,64" and r["fit_points"] == 3 and r["N_min"] == 16
    assert abs(r["slope"] - 3.0) < 0.1 and r["slope_all_N"] > 3.5
    assert r["readout"] == "he4"  # cells without a readout column ran the he4 readout


def cells_table(Ns=(8, 16), alphas=(0.0, 1.0), seeds=(0, 1, 2)):
    rows = []
    for N in Ns:
        for a in alphas:
            for s in seeds:
                for n in (0, 10, 100, 1000):
                    rows.append({"N": N, "alpha": a, "seed": s, "n": n, "n_max": 1000,
                                 "error": 0.5 - 0.1 * (n >= 100) - 0.01 * s,
                                 "error_level": 0.42, "oracle_error": 0.3})
    return pd.DataFrame(rows)


def test_classifier_errors_figure_draws_the_seed_median(tmp_path):
    path = tmp_path / "cells.parquet"
    cells_table().to_parquet(path)
    fig, drawn = plots.classifier_errors({"cells": [str(path)]}, {})
    e = drawn["errors"]
    assert len(e) == 2 * 2 * 3  # N x alpha x logged n > 0
    one = e[(e["N"] == 16) & (e["alpha"] == 1.0) & (e["n"] == 100)]
    assert one["error"].iloc[0] == pytest.approx(0.5 - 0.1 - 0.01)  # median of seeds 0, 1, 2
    assert one["n_over_N3"].iloc[0] == pytest.approx(100 / 16**3)
    # errors 0.4, 0.39, 0.38 at n = 100 against the level 0.42: every seed has reached it
    assert one["reached"].iloc[0] == 1.0 and e.loc[e["n"] == 10, "reached"].max() == 0.0


def test_classifier_errors_figure_keeps_the_readouts_apart(tmp_path):
    base = cells_table()
    both = pd.concat([base.assign(readout="he4"), base.assign(readout="normalised", error=base["error"] + 0.05)])
    path = tmp_path / "cells.parquet"
    both.to_parquet(path)
    fig, drawn = plots.classifier_errors({"cells": [str(path)]}, {})
    e = drawn["errors"].set_index(["readout", "N", "alpha", "n"])["error"]
    assert len(e) == 2 * 2 * 2 * 3 and len(fig.axes) == 4 * 2  # 2 rows per readout x 2 alpha
    assert e.loc[("normalised", 16, 1.0, 100)] == pytest.approx(e.loc[("he4", 16, 1.0, 100)] + 0.05)


def test_phase_threshold_figure_draws_both_learners_and_the_references(tmp_path):
    thr, exps = summary(fake_passages(3.0), 50)
    thr.loc[thr["N"] == 64, "n_star_hi"] = np.inf
    den = pd.DataFrame({"N": [8, 16], "alpha": [0.0, 0.0], "n_star": [1e3, np.nan], "n_max": [1e4, 1e5]})
    paths = {}
    for name, df in (("classifier", thr), ("exponents", exps), ("denoiser", den)):
        paths[name] = [str(tmp_path / f"{name}.parquet")]
        df.to_parquet(paths[name][0])
    fig, drawn = plots.phase_thresholds(paths, {})
    d = drawn["thresholds"]
    assert set(d["series"]) == {"classifier he4", "denoiser", "N³", "N³ ln² N"}
    ref = d[d["series"] == "N³"].set_index("N")["n"]
    # the prefactor is the geometric mean of n*/N³ over the classifier's α = 0 points
    c = np.exp(np.mean(np.log(thr["n_star"] / thr["N"] ** 3)))
    assert ref.loc[16] == pytest.approx(c * 16**3) and ref.loc[64] / ref.loc[8] == pytest.approx(8**3)
    slope = exps["slope"].iloc[0]
    assert abs(slope - 3.0) < 0.2  # the fake n* are 3-power laws with 10 % noise
    assert any(f"slope {slope:.2f}" in label for label in fig.axes[0].get_legend_handles_labels()[1])


# ---------------------------------------------------------------------- plan
def test_plan_lists_the_classifier_sweep_and_registers_the_synthetic_figures():
    from easy2hard.pipeline import config as e2h_config

    cfg = e2h_config.validate(load_test_config("fourier"))
    out = fourier_plan.targets(cfg, "results")
    assert "results/fourier/classifier/N12.parquet" in out
    assert "results/fourier/classifier/exponents.parquet" in out
    assert "results/figures/fourier_phase_threshold.png" in out
    spec = fourier_plan.classifier_spec(cfg, 12)
    assert "N" not in spec and "bootstrap" not in spec and spec["level"] == 0.5
    assert spec["alpha"] == [0, 1] and spec["readout"] == ["he4", "normalised"]
    # a flat-only N: its own cell, α = 0 with the first readout
    assert "results/fourier/classifier/N16.parquet" in out
    assert fourier_plan.classifier_spec(cfg, 16) == {**spec, "alpha": [0.0], "readout": ["he4"]}
    names = [f.name for f in fourier_plan.STAGE.figures]
    assert names == [f.name for f in fourier_plan.DATASET_FIGURES + fourier_plan.SYNTHETIC_FIGURES]
    assert "fourier_phase_gap" in names and "fourier_clone_gaps_{dataset}" in names
    off = e2h_config.validate({"fourier": {"clones": [], "classifier": {"N": []}}})
    assert fourier_plan.synthetic_targets(off, "results") == []
