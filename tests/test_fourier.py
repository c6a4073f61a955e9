"""Fourier stage (docs/science.md §12): Hermitian phases, the three Fourier clones of images,
the synthetic |k|^-α model, the lockstep trainer, the summaries, and the tiny workflow."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from easy2hard.core import streams
from easy2hard.fourier import analysis
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


# ---------------------------------------------------------------------- analysis
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
    flat = pd.read_parquet(root / "fourier/classifier/N16.parquet")  # flat_N: α = 0, first readout
    assert set(flat["alpha"]) == {0.0} and set(flat["readout"]) == {"he4"}
    thr = pd.read_parquet(root / "fourier/classifier/thresholds.parquet")
    assert set(thr["readout"]) == {"he4", "normalised"} and thr["oracle_error"].between(0, 0.5).all()
    exps = pd.read_parquet(root / "fourier/classifier/exponents.parquet")
    assert {"readout", "N_fitted", "slope_all_N"} <= set(exps.columns)
    for name in ("fourier_examples_natural_patches", "fourier_clone_gaps_natural_patches",
                 "fourier_phase_gap", "fourier_phase_threshold"):
        assert (root / f"figures/{name}.png").stat().st_size > 1000
    again = run_workflow(cfg, *targets, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr
