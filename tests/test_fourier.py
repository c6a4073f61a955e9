"""Fourier stage (docs/science.md §12): Hermitian phases, the three Fourier clones of images,
the synthetic |k|^-α model, the lockstep trainer, the summaries, and the tiny workflow."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from easy2hard.core import streams
from easy2hard.core.lockstep import checkpoint_steps
from easy2hard.fourier import analysis, synthetic, training
from easy2hard.fourier import clones as fourier_clones
from easy2hard.fourier.spectra import hermitian_phases, synthesize
from easy2hard.pipeline.plan import fourier as fourier_plan
from tests.conftest import load_test_config


def images(n=40, side=8, seed=0) -> np.ndarray:
    """Correlated, non-Gaussian test images (n, 1, side, side) in float32."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 1, side, side)).cumsum(-1).cumsum(-2)
    return np.tanh(x / side).astype(np.float32)


def negate(a: torch.Tensor, dims) -> torch.Tensor:
    """a(−k): index −k mod side along each of ``dims``."""
    return a.flip(dims).roll((1,) * len(dims), dims)


def dft(x) -> np.ndarray:
    return np.fft.fft2(np.asarray(x, dtype=np.float64))


# ------------------------------------------------------------------------ phases
@pytest.mark.parametrize("shape,dims", [((3, 8, 8), (-2, -1)), ((2, 7, 6), (-2, -1)), ((5, 9), (-1,))])
def test_hermitian_phases_are_odd_and_synthesize_real_signals(shape, dims):
    theta = hermitian_phases(shape, dims, torch.Generator().manual_seed(0))
    flipped = negate(theta, dims)
    assert torch.allclose(torch.cos(theta + flipped), torch.ones_like(theta), atol=1e-9)
    amp = torch.rand(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    amp = amp + negate(amp, dims)  # any even amplitude
    x = torch.fft.ifftn(torch.polar(amp, theta), dim=dims)
    assert x.imag.abs().max() < 1e-12 * x.real.abs().max()
    synthesize(amp, theta, dims)  # passes its own realness check
    with pytest.raises(ValueError, match="Hermitian"):
        synthesize(amp, torch.rand(shape, dtype=torch.float64) * 6, dims)


def test_hermitian_phases_are_uniform():
    # 4000 signals x 27 free frequency pairs: the circular mean |E e^{iθ}| of a uniform phase
    # over n draws has standard deviation ~ 1/sqrt(n) per component; allow 5 sigma.
    theta = hermitian_phases((4000, 8, 8), (-2, -1), torch.Generator().manual_seed(3))
    m = torch.exp(1j * theta).mean(0).abs()
    free = torch.ones(8, 8, dtype=torch.bool)
    free[::4, ::4] = False  # self-conjugate frequencies (0 and 4 on each axis): 0 or π
    assert m[free].max() < 5 / math.sqrt(4000)
    assert torch.allclose(torch.sin(theta[:, ~free]), torch.zeros_like(theta[:, ~free]), atol=1e-9)


# ------------------------------------------------------------------ image clones
def test_amplitude_clone_keeps_every_power_spectrum_and_randomises_phases():
    x = images()
    y = fourier_clones.sample("amplitude", x, None, seed=0)
    assert y.shape == x.shape and y.dtype == np.float32
    X, Y = dft(x), dft(y)
    assert np.allclose(np.abs(Y), np.abs(X), atol=1e-4 * np.abs(X).max())
    assert np.allclose(y.mean((-2, -1)), x.mean((-2, -1)), atol=1e-6)  # zero frequency kept
    # phases are new: e^{i(θ_clone − θ_test)} averages to ~0 (40 images x 62 frequencies)
    mask = np.abs(X) > 1e-3 * np.abs(X).max()
    mask[..., 0, 0] = False
    r = np.exp(1j * (np.angle(Y) - np.angle(X)))[mask].mean()
    assert abs(r) < 5 / math.sqrt(mask.sum())


def test_phase_clone_keeps_each_images_phases_with_the_mean_amplitude():
    x = images()
    y = fourier_clones.sample("phase", x, None, seed=0)
    X, Y = dft(x), dft(y)
    rms = np.sqrt((np.abs(X) ** 2).mean(0))
    nonzero = np.abs(X) > 1e-6 * np.abs(X).max()
    assert np.allclose(np.exp(1j * np.angle(Y))[nonzero], np.exp(1j * np.angle(X))[nonzero], atol=1e-4)
    assert np.allclose(np.abs(Y)[..., 1:, :], np.broadcast_to(rms, X.shape)[..., 1:, :], rtol=1e-4, atol=1e-4)
    # the set keeps the test split's mean power spectrum (zero frequency included)
    assert np.allclose((np.abs(Y) ** 2).mean(0), rms ** 2, rtol=1e-4)
    assert np.allclose(y.mean((-2, -1)), x.mean((-2, -1)), atol=1e-6)


def test_amplitude_swap_takes_another_images_amplitude_and_its_own_phases():
    x = images(n=30)
    y = fourier_clones.sample("amplitude_swap", x, None, seed=4)
    X, Y = dft(x), dft(y)
    partner = fourier_clones.derangement(len(x), streams.generator(4, "fourier", "clones", "amplitude_swap"))
    assert (partner != torch.arange(len(x))).all() and sorted(partner.tolist()) == list(range(len(x)))
    amp = np.abs(X[partner.numpy()])
    amp[..., 0, 0] = np.abs(X[..., 0, 0])
    assert np.allclose(np.abs(Y), amp, atol=1e-4 * amp.max())
    nonzero = (np.abs(X) > 1e-6 * np.abs(X).max()) & (amp > 1e-6 * amp.max())
    assert np.allclose(np.exp(1j * np.angle(Y))[nonzero], np.exp(1j * np.angle(X))[nonzero], atol=1e-3)


def test_clones_are_reproducible_cycle_the_test_split_and_check_their_input():
    x = images(n=10)
    a = fourier_clones.sample("amplitude", x, 25, seed=1)
    assert a.shape == (25, 1, 8, 8)
    assert np.array_equal(a, fourier_clones.sample("amplitude", x, 25, seed=1))
    assert not np.allclose(a, fourier_clones.sample("amplitude", x, 25, seed=2))
    # image 10 is a new random-phase clone of test image 0: same spectrum, new phases
    assert np.allclose(np.abs(dft(a[10])), np.abs(dft(x[0])), atol=1e-4) and not np.allclose(a[10], a[0])
    with pytest.raises(ValueError, match="allowed"):
        fourier_clones.sample("mean", x, None, seed=0)
    with pytest.raises(ValueError, match="at least 2"):
        fourier_clones.sample("amplitude_swap", x[:1], None, seed=0)


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
def test_thresholds_interpolate_in_log_n_and_mark_misses():
    n = np.array([0, 10, 100, 1000])
    rows = []
    for seed in (0, 1):
        for N, gaps in ((8, [0.0, 0.0, 0.05, 0.3]), (16, [0.0, 0.0, 0.01, 0.02])):
            for ni, g in zip(n, gaps):
                rows.append({"N": N, "alpha": 0.0, "seed": seed, "n": ni,
                             "loss_clone": 1.0, "loss_data": 1.0 - g})
    th = analysis.thresholds(pd.DataFrame(rows), margin=0.1).set_index("N")
    # gap 0.05 at n = 100 and 0.3 at n = 1000: 0.1 is 1/5 of the way in log n
    assert th.loc[8, "n_star"] == pytest.approx(100 * 10 ** 0.2)
    assert np.isnan(th.loc[16, "n_star"]) and th.loc[16, "n_max"] == 1000


def test_tracking_needs_a_lasting_departure():
    z_scores = {"amplitude": [0.5, 3.0, 0.2, 3.0, 4.0], "phase": [0.1, 0.2, 0.3, 0.1, 5.0],
                "meancov": [3.0, 0.0, 0.0, 0.0, 0.0]}
    rows = [{"dataset": "d", "run": "r", "t": "all", "seed": 0, "step": step, "set": s,
             "loss": 1.0, "diff_to_test": z, "diff_to_test_se": 1.0}
            for s, zs in z_scores.items() for step, z in zip([1, 2, 4, 8, 16], zs)]
    rows += [{**r, "set": "test", "diff_to_test": 0.0} for r in rows if r["set"] == "phase"]
    out = analysis.tracking(pd.DataFrame(rows), z=2.0)
    dep = out.groupby("set")["departs_at"].first()
    assert dep["amplitude"] == 8 and dep["phase"] == 16 and np.isnan(dep["meancov"])
    assert "test" not in set(out["set"])


# ---------------------------------------------------------------------- workflow
def test_plan_targets_follow_the_config():
    cfg = load_test_config("fourier")
    from easy2hard.pipeline import config as e2h_config

    cfg = e2h_config.validate(cfg)
    out = fourier_plan.targets(cfg, "results")
    assert "results/clones/natural_patches/amplitude_swap.npy" in out
    assert "results/clones/natural_patches/amplitude_whitened.npy" in out
    assert "results/fourier/natural_patches/covariance.parquet" in out
    assert "results/fourier/natural_patches/tracking.parquet" in out
    assert "results/fourier/synthetic/N12.parquet" in out
    assert "margin" not in fourier_plan.synthetic_spec(cfg) and "N" not in fourier_plan.synthetic_spec(cfg)
    off = e2h_config.validate({"fourier": {"clones": []}, "datasets": {"build": ["natural_patches"]}})
    assert fourier_plan.targets(off, "results") == []


@pytest.mark.slow
def test_tiny_workflow(run_workflow):
    from easy2hard.pipeline import config as e2h_config

    cfg = load_test_config("fourier")
    targets = fourier_plan.targets(e2h_config.validate(cfg), "results")
    run_workflow(cfg, *targets)
    root = run_workflow.workdir / "results"
    test = np.load(root / "data/natural_patches/test.npy")
    for kind in fourier_clones.CLONES:
        x = np.load(root / f"clones/natural_patches/{kind}.npy")
        assert x.shape == (30, *test.shape[1:]) and x.dtype == np.float32
    losses = pd.read_parquet(root / "unet/natural_patches/tiny/losses.parquet")
    assert set(losses["set"]) == {"test", "amplitude", "phase", "amplitude_swap", "amplitude_whitened"}
    assert np.isfinite(losses[["wiener_loss", "diff_minus_wiener", "empirical_loss"]]).all().all()
    tracking = pd.read_parquet(root / "fourier/natural_patches/tracking.parquet")
    assert set(tracking["set"]) == {"amplitude", "phase", "amplitude_swap", "amplitude_whitened"}
    cov = pd.read_parquet(root / "fourier/natural_patches/covariance.parquet")
    assert {"train", "meancov", *fourier_clones.CLONES, "circulant_projection"} <= set(cov["set"])
    cells = pd.concat(pd.read_parquet(root / f"fourier/synthetic/N{N}.parquet") for N in (8, 12))
    assert set(cells["alpha"]) == {0.0, 2.0} and set(cells["seed"]) == {0, 1}
    assert np.isfinite(cells[["loss_data", "loss_clone", "gap", "gap_se"]]).all().all()
    th = pd.read_parquet(root / "fourier/synthetic/thresholds.parquet")
    assert len(th) == 4
    for name in ("fourier_examples_natural_patches", "fourier_clone_gaps_natural_patches",
                 "fourier_phase_gap", "fourier_phase_threshold"):
        assert (root / f"figures/{name}.png").stat().st_size > 1000
    again = run_workflow(cfg, *targets, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr
