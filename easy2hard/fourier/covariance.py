"""How far each clone's pair-wise statistics are from the test split's (docs/science.md §12.2).

A clone whose covariance differs from the test covariance changes the pair-wise statistics
as well as whatever it sets out to change, and any denoiser, a linear one included, sees
that. The relative Frobenius mismatch ‖Σ_set − Σ_test‖_F / ‖Σ_test‖_F of sample covariances
has a floor from sampling alone: for n Gaussian samples E‖Σ̂ − Σ‖²_F = (tr(Σ)² + ‖Σ‖²_F)/n,
so a set of n images drawn to match the test covariance (a fitted clone) is expected to
miss it by sqrt((tr(Σ)² + ‖Σ‖²_F)/n) / ‖Σ‖_F. When a few eigenvalues dominate Σ (images:
the mean brightness), one draw scatters widely around that expectation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def covariance(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and unbiased covariance (D, D) of images (n, ...), float64."""
    x = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    mu = x.mean(0)
    c = x - mu
    return mu, c.T @ c / (len(x) - 1)


def circulant_projection(cov: np.ndarray, shape: tuple) -> np.ndarray:
    """The 2-D circulant part of a covariance of (C, H, W) images, per channel pair: the
    covariance at each periodic lag averaged over all positions, laid back out. It is what
    phase randomisation on the H × W torus keeps of a covariance."""
    C, H, W = shape
    c = cov.reshape(C, H, W, C, H, W)
    hh, ww = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
    lag = np.empty((C, C, H, W))
    for dh in range(H):
        for dw in range(W):
            lag[:, :, dh, dw] = c[:, hh, ww, :, (hh + dh) % H, (ww + dw) % W].mean((0, 1))
    dh = (hh[None, None] - hh[:, :, None, None]) % H  # [h, w, h', w'] = h' − h
    dw = (ww[None, None] - ww[:, :, None, None]) % W
    return lag[:, :, dh, dw].transpose(0, 2, 3, 1, 4, 5).reshape(cov.shape)


def mismatch_table(sets: dict, reference: str = "test") -> pd.DataFrame:
    """One row per set: relative Frobenius mismatch of its covariance to ``reference``'s,
    the sampling floor for its count, the relative mismatch of its mean, and the row
    ``circulant_projection`` (the circulant part of the reference's own covariance)."""
    shape = np.asarray(sets[reference]).shape[1:]
    mu_ref, cov_ref = covariance(sets[reference])
    norm = np.linalg.norm(cov_ref)
    spread = np.trace(cov_ref) ** 2 + norm ** 2
    rows = []
    for name, x in sets.items():
        if name == reference:
            continue
        mu, cov = covariance(x)
        rows.append({"set": name, "n_images": len(x),
                     "cov_mismatch": np.linalg.norm(cov - cov_ref) / norm,
                     "sampling_floor": np.sqrt(spread / len(x)) / norm,
                     "mean_mismatch": np.linalg.norm(mu - mu_ref) / np.sqrt(np.trace(cov_ref))})
    circ = circulant_projection(cov_ref, shape)
    rows.append({"set": "circulant_projection", "n_images": len(sets[reference]),
                 "cov_mismatch": np.linalg.norm(circ - cov_ref) / norm, "sampling_floor": 0.0,
                 "mean_mismatch": 0.0})
    return pd.DataFrame(rows)
