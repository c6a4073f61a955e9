"""Fourier clones of images beyond grayscale and beyond the circulant part: one phase field
shared by the colour channels, the whitened amplitude clone that keeps the full covariance,
and the covariance-mismatch table (docs/science.md §12.2)."""

from __future__ import annotations

import numpy as np
import pytest

from easy2hard.fourier import clones as fourier_clones
from easy2hard.fourier import covariance


def walks(n, side, seed, channels=1):
    """Smooth, non-periodic, non-Gaussian images (n, channels, side, side): a shared random
    field per image plus a little independent noise per channel."""
    rng = np.random.default_rng(seed)
    base = np.tanh(rng.standard_normal((n, 1, side, side)).cumsum(-1).cumsum(-2) / side)
    return (base + 0.2 * rng.standard_normal((n, channels, side, side))).astype(np.float32)


def channel_correlation(x) -> float:
    """Correlation of channels 0 and 1 over images and pixels, each pixel's mean removed."""
    c = x - x.mean(0)
    return float(np.corrcoef(c[:, 0].ravel(), c[:, 1].ravel())[0, 1])


def test_amplitude_clone_of_rgb_images_keeps_the_correlation_between_channels():
    x = walks(300, 8, 0, channels=3)
    y = fourier_clones.sample("amplitude", x, None, seed=0)
    X, Y = np.fft.fft2(x.astype(np.float64)), np.fft.fft2(y.astype(np.float64))
    assert np.allclose(np.abs(Y), np.abs(X), atol=1e-4 * np.abs(X).max())  # every channel's spectrum
    # the phase difference between two channels at each frequency is kept exactly
    kept = np.angle(Y[:, 0] * np.conj(Y[:, 1])) - np.angle(X[:, 0] * np.conj(X[:, 1]))
    strong = (np.abs(X[:, 0]) > 1e-3) & (np.abs(X[:, 1]) > 1e-3)
    assert np.allclose(np.cos(kept[strong]), 1, atol=1e-6)
    data, clone = channel_correlation(x), channel_correlation(y)
    assert data > 0.5
    # 300 x 64 pixel pairs, strongly dependent within an image: allow 0.05
    assert abs(clone - data) < 0.05
    # independent phases per channel (the old clone) would lose most of it
    independent = np.stack([fourier_clones.sample("amplitude", x[:, [c]], None, seed=c)[:, 0]
                            for c in range(3)], axis=1)
    assert channel_correlation(independent) < data - 0.2


def rel_mismatch(a, b) -> float:
    _, ca = covariance.covariance(a)
    _, cb = covariance.covariance(b)
    return float(np.linalg.norm(ca - cb) / np.linalg.norm(cb))


def test_whitened_amplitude_clone_keeps_the_covariance_that_random_phases_lose():
    x = walks(3000, 6, 1)
    plain = fourier_clones.sample("amplitude", x, None, seed=0)
    white = fourier_clones.sample("amplitude_whitened", x, None, seed=0)
    _, cov = covariance.covariance(x)
    floor = np.sqrt((np.trace(cov) ** 2 + np.linalg.norm(cov) ** 2) / len(x)) / np.linalg.norm(cov)
    # the plain clone keeps only the circulant part of a non-periodic covariance
    circ = covariance.circulant_projection(cov, x.shape[1:])
    circ_gap = np.linalg.norm(circ - cov) / np.linalg.norm(cov)
    assert circ_gap > 5 * floor
    assert abs(rel_mismatch(plain, x) - circ_gap) < 2 * floor
    assert rel_mismatch(white, x) < 2 * floor
    assert np.allclose(white.mean(0), x.mean(0), atol=4 * x.std() / np.sqrt(len(x)))
    # and it does change the images: the phases of the whitened images are new
    assert np.abs(white - x).mean() > 0.3 * np.abs(x - x.mean(0)).mean()


def test_circulant_projection_is_a_projection_onto_circulant_covariances():
    rng = np.random.default_rng(2)
    A = rng.standard_normal((2 * 4 * 5, 2 * 4 * 5))
    cov = A @ A.T
    P = covariance.circulant_projection(cov, (2, 4, 5))
    assert np.allclose(P, covariance.circulant_projection(P, (2, 4, 5)))
    assert np.allclose(P, P.T)
    # a stationary covariance on the torus is its own projection
    h, w = np.meshgrid(np.arange(4), np.arange(5), indexing="ij")
    dh = np.minimum((h.ravel()[:, None] - h.ravel()) % 4, (h.ravel() - h.ravel()[:, None]) % 4)
    dw = np.minimum((w.ravel()[:, None] - w.ravel()) % 5, (w.ravel() - w.ravel()[:, None]) % 5)
    stationary = np.exp(-(dh + dw) / 2.0)
    assert np.allclose(covariance.circulant_projection(stationary, (1, 4, 5)), stationary)
    assert not np.allclose(P, cov)


def test_mismatch_table_rows():
    x = walks(400, 4, 3)
    t = covariance.mismatch_table({"test": x, "copy": x.copy(), "noise": x + 1.0 * np.random.default_rng(0).standard_normal(x.shape).astype(np.float32)})
    assert list(t["set"]) == ["copy", "noise", "circulant_projection"]
    assert t["cov_mismatch"].iloc[0] == pytest.approx(0, abs=1e-12)
    assert t["cov_mismatch"].iloc[1] > 1
    assert (t["sampling_floor"].iloc[:2] > 0).all()
