"""Gaussian clones: fitted statistics, and the sample mean/covariance of each clone.

Tolerances are 5 standard errors of the sample statistic at the test's sample size n:
SE(mean_i) = sqrt(Σ_ii / n) and, for Gaussian samples,
SE(cov_ij) = sqrt((Σ_ii Σ_jj + Σ_ij²) / n).
"""

from __future__ import annotations

import numpy as np
import pytest

import torch

from easy2hard.core import clones
from easy2hard.images import clones as image_clones

H = W = 3  # D = 9 keeps the test fast while n is large
D = H * W
N_SAMPLES = 40_000


def toy_statistics(seed=0):
    """A mean (1, H, W) and a correlated covariance with a wide eigenvalue spread."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=(1, H, W))
    q, _ = np.linalg.qr(rng.normal(size=(D, D)))
    cov = (q * np.geomspace(2.0, 0.01, D)) @ q.T
    return mu, cov


def assert_moments(x, mu, cov):
    flat = x.reshape(len(x), -1).astype(np.float64)
    n = len(flat)
    se_mean = np.sqrt(np.diag(cov) / n)
    assert (np.abs(flat.mean(0) - mu.ravel()) < 5 * se_mean).all()
    emp = np.cov(flat, rowvar=False)
    se_cov = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov**2) / n)
    assert (np.abs(emp - cov) < 5 * se_cov).all(), np.max(np.abs(emp - cov) / se_cov)


def test_fit_is_mean_and_unbiased_covariance():
    x = np.random.default_rng(1).normal(size=(50, 1, 2, 3))
    mu, cov = image_clones.fit(x)
    assert mu.shape == (1, 2, 3) and cov.shape == (6, 6)
    np.testing.assert_allclose(mu.ravel(), x.reshape(50, -1).mean(0))
    np.testing.assert_allclose(cov, np.cov(x.reshape(50, -1), rowvar=False))


@pytest.mark.parametrize("kind", image_clones.CLONES)
def test_clone_moments_match_target(kind):
    mu, cov = toy_statistics()
    x = image_clones.sample(kind, mu, cov, N_SAMPLES, seed=3)
    assert x.shape == (N_SAMPLES, 1, H, W) and x.dtype == np.float32
    target = {"mean": np.eye(D), "meancov": cov, "mean_iso": np.trace(cov) / D * np.eye(D)}[kind]
    assert_moments(x, mu, target)


def test_meancov_clone_of_images_matches_their_fitted_statistics():
    rng = np.random.default_rng(2)
    # images with correlated, non-Gaussian pixels (a smooth random field, then squashed)
    z = rng.normal(size=(3000, 1, H + 1, W + 1))
    imgs = np.tanh(2 * (z[..., 1:, 1:] + z[..., :-1, :-1]) / 2)
    mu, cov = image_clones.fit(imgs)
    x = image_clones.sample("meancov", mu, cov, N_SAMPLES, seed=0)
    assert_moments(x, mu, cov)


def test_negative_eigenvalues_are_clipped():
    mu, cov = toy_statistics()
    lam, V = np.linalg.eigh(cov)
    lam[:2] = [-0.3, -0.05]  # not positive semi-definite
    bad = (V * lam) @ V.T
    clipped = (V * np.clip(lam, 0, None)) @ V.T
    A = image_clones.sqrt_factor(bad)
    np.testing.assert_allclose(A @ A.T, clipped, atol=1e-12)
    x = image_clones.sample("meancov", mu, bad, N_SAMPLES, seed=5)
    assert_moments(x, mu, clipped)
    flat = x.reshape(len(x), -1) - mu.ravel()
    # no variance at all along the clipped directions
    assert np.abs(flat @ V[:, :2]).max() < 1e-4


def test_sampling_is_seeded_and_chunk_independent():
    mu, cov = toy_statistics()
    for kind in image_clones.CLONES:
        a = image_clones.sample(kind, mu, cov, 100, seed=7)
        assert np.array_equal(a, image_clones.sample(kind, mu, cov, 100, seed=7, chunk=13))
        assert not np.array_equal(a, image_clones.sample(kind, mu, cov, 100, seed=8))
    # each clone draws from its own stream
    m = image_clones.sample("mean", mu, cov, 100, seed=7)
    i = image_clones.sample("mean_iso", mu, cov, 100, seed=7)
    assert not np.allclose((m - mu) * np.sqrt(np.trace(cov) / D), i - mu)


def test_bad_arguments_are_refused():
    mu, cov = toy_statistics()
    with pytest.raises(ValueError, match="unknown clone 'wrong'"):
        image_clones.sample("wrong", mu, cov, 10, seed=0)
    with pytest.raises(ValueError, match="covariance has shape"):
        image_clones.sample("meancov", mu, cov[:4, :4], 10, seed=0)
    with pytest.raises(ValueError, match="n >= 2"):
        image_clones.fit(np.zeros((1, 1, 2, 2)))


def test_examples_table_round_trips_images():
    x = np.random.default_rng(0).normal(size=(5, 1, 4, 3)).astype(np.float32)
    df = image_clones.examples_table({"test": x, "mean": x + 1}, 2, "toy", (-1, 1))
    assert len(df) == 2 * 2 * 12
    sub = df[(df["set"] == "mean") & (df["image"] == 1)]
    img = sub.pivot(index="row", columns="col", values="value").to_numpy()
    np.testing.assert_array_equal(img, x[1, 0] + 1)


def test_one_clone_library_for_numpy_and_torch():
    """core/clones.py serves the images (numpy) and the MCM (torch): the two give the same
    clone covariances, and A Aᵀ = Σ for the eigen-root of either."""
    _, cov = toy_statistics()
    for kind in clones.CLONES:
        a = clones.covariance(kind, cov)
        b = clones.covariance(kind, torch.from_numpy(cov)).numpy()
        np.testing.assert_allclose(a, b, atol=1e-12)
    np.testing.assert_allclose(clones.covariance("meancov", cov), cov, atol=1e-12)
    np.testing.assert_allclose(clones.covariance("mean_iso", cov), np.trace(cov) / D * np.eye(D))
    with pytest.raises(ValueError, match="unknown clone 'mean_clone'"):
        clones.factor("mean_clone", cov)
