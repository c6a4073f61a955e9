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

Gaussian twins (docs/science.md §7.8): ``twin_{S}`` = N(μ_S, Σ_S) for a non-Gaussian set S
(the train split or a Fourier clone, ``TWIN_SOURCES``), with μ_S and Σ_S estimated on all
of S (thousands of images; below D images Σ_S would be singular), drawn from the stream
``SeedSequence([seed, crc32("twin_" + S)])``. The test split's twin is ``meancov``.
"""

from __future__ import annotations

import zlib

import numpy as np

from ..core import clones
from ..core.clones import sqrt_factor  # noqa: F401  (re-exported)

CLONES = ("mean", "meancov", "mean_iso")
#: the sets that have a Gaussian twin; its evaluation-set name is ``twin_{source}``
TWIN_SOURCES = ("train", "amplitude", "phase", "amplitude_whitened")
TWINS = tuple(f"twin_{s}" for s in TWIN_SOURCES)


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
           chunk: int = 4096, stream: str | None = None) -> np.ndarray:
    """``n`` samples (n, *mu.shape) of clone ``kind`` as float32, reproducible from ``seed``
    and the name of the stream (``kind`` unless given)."""
    clones.check(kind)
    mu = np.asarray(mu, dtype=np.float64)
    D = mu.size
    if np.shape(cov) != (D, D):
        raise ValueError(f"covariance has shape {np.shape(cov)}, expected ({D}, {D}) for a mean of shape {mu.shape}")
    name = kind if stream is None else stream
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(name.encode())]))
    fac = clones.factor(kind, cov)
    out = np.empty((n, D), np.float32)
    for start in range(0, n, chunk):
        z = rng.standard_normal((min(chunk, n - start), D))
        out[start:start + len(z)] = clones.apply(mu.ravel(), fac, z)
    return out.reshape(n, *mu.shape)


def twin(source: str, images: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` images of the Gaussian twin N(μ_S, Σ_S) of ``images`` (the set ``source``, all
    of it: μ_S and Σ_S are fitted on every image), float32, from the stream ``twin_{source}``."""
    if source not in TWIN_SOURCES:
        raise ValueError(f"no Gaussian twin for set {source!r}; allowed: {', '.join(TWIN_SOURCES)}")
    mu, cov = fit(images)
    return sample("meancov", mu, cov, n, seed, stream=f"twin_{source}")


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
