"""Gaussian clones of an image set (docs/science.md §7.2): same mean (and covariance), nothing
more. The clone laws and their sampling factors are core/clones.py (one vocabulary with the MCM).

Fitted to the test split, with D = H·W pixels:

- ``mean``:     N(μ, I)        identity covariance, as in the paper (§A.1);
- ``meancov``:  N(μ, Σ)        through the eigendecomposition Σ = V diag(λ) Vᵀ with
                               negative eigenvalues (round-off) clipped to 0;
- ``mean_iso``: N(μ, σ̄² I)     σ̄² = tr Σ / D, the mean pixel variance (the paper's identity
                               covariance is far wider than the pixel variance).

Samples are not clipped to the data range. Each clone draws from its own stream,
``SeedSequence([seed, crc32(kind)])``, so a clone does not change when another is added.
"""

from __future__ import annotations

import zlib

import numpy as np

from ..core import clones
from ..core.clones import sqrt_factor  # noqa: F401  (re-exported)

CLONES = ("mean", "meancov", "mean_iso")


def fit(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean μ (C, H, W) and unbiased covariance Σ (D, D) of images (n, C, H, W), float64."""
    x = np.asarray(images, dtype=np.float64)
    if x.ndim != 4 or x.shape[0] < 2:
        raise ValueError(f"need images of shape (n >= 2, C, H, W), got {x.shape}")
    flat = x.reshape(len(x), -1)
    mu = flat.mean(axis=0)
    centred = flat - mu
    cov = centred.T @ centred / (len(x) - 1)
    return mu.reshape(x.shape[1:]), cov


def sample(kind: str, mu: np.ndarray, cov: np.ndarray, n: int, seed: int,
           chunk: int = 4096) -> np.ndarray:
    """``n`` samples (n, *mu.shape) of clone ``kind`` as float32, reproducible from ``seed``."""
    clones.check(kind)
    mu = np.asarray(mu, dtype=np.float64)
    D = mu.size
    if np.shape(cov) != (D, D):
        raise ValueError(f"covariance has shape {np.shape(cov)}, expected ({D}, {D}) for a mean of shape {mu.shape}")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(kind.encode())]))
    fac = clones.factor(kind, cov)
    out = np.empty((n, D), np.float32)
    for start in range(0, n, chunk):
        z = rng.standard_normal((min(chunk, n - start), D))
        out[start:start + len(z)] = clones.apply(mu.ravel(), fac, z)
    return out.reshape(n, *mu.shape)


def examples_table(sets: dict, k: int, dataset: str, value_range):
    """Long table of the first ``k`` images of each set: one row per pixel.

    Columns: dataset, set, image, row, col, value, range_lo, range_hi.
    """
    import pandas as pd

    frames = []
    for name, x in sets.items():
        x = np.asarray(x[:k, 0], dtype=np.float32)
        img, row, col = np.indices(x.shape).reshape(3, -1)
        frames.append(pd.DataFrame({"dataset": dataset, "set": name, "image": img,
                                    "row": row, "col": col, "value": x.ravel()}))
    df = pd.concat(frames, ignore_index=True)
    df["range_lo"], df["range_hi"] = float(value_range[0]), float(value_range[1])
    return df
