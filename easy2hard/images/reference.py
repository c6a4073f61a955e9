"""Reference denoisers of an image evaluation, in closed form per noise level (docs/science.md §7.7).

With x_k = √ᾱ_k x_0 + √(1 − ᾱ_k) ε and the DDPM's ε-prediction loss, two denoisers fitted on
the training images y_1..y_m (flattened, D pixels) bound what a network can do:

- ``wiener``: the optimal denoiser for N(μ, Σ), μ and Σ the training mean and covariance:
  E[x_0 | x_k] = μ + Σ √ᾱ (ᾱ Σ + (1 − ᾱ) I)⁻¹ (x_k − √ᾱ μ). With Σ = V diag(λ) Vᵀ it scales
  each eigen-coordinate by √ᾱ λ / (ᾱ λ + 1 − ᾱ). It sees only the pair-wise statistics, so
  its loss on a set depends only on that set's mean and covariance;
- ``empirical``: the optimal denoiser for the empirical law of the training images (the
  memorising posterior mean): E[x_0 | x_k] = Σ_j w_j y_j with
  w = softmax_j(−‖x_k − √ᾱ y_j‖² / (2(1 − ᾱ))).

Both predict ε̂ = (x_k − √ᾱ x̂_0) / √(1 − ᾱ); the per-image loss is the mean over pixels of
(ε̂ − ε)², the U-Net's loss (evaluation.py) with the same ε and k image for image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

DENOISERS = ("wiener", "empirical")


@dataclass(frozen=True)
class Wiener:
    """μ (D,) and the eigendecomposition of Σ (λ clipped at 0, V columns), float64."""

    mu: torch.Tensor
    lam: torch.Tensor
    V: torch.Tensor

    @classmethod
    def fit(cls, images: np.ndarray) -> "Wiener":
        x = torch.as_tensor(np.asarray(images), dtype=torch.float64).flatten(1)
        mu = x.mean(0)
        c = x - mu
        lam, V = torch.linalg.eigh(c.T @ c / (len(x) - 1))
        return cls(mu, lam.clamp(min=0), V)

    def project(self, x: torch.Tensor, centre: bool) -> torch.Tensor:
        """Eigen-coordinates (x − μ) V of rows x (ε is not centred)."""
        return ((x - self.mu) if centre else x) @ self.V

    def error(self, x0: torch.Tensor, px0: torch.Tensor, peps: torch.Tensor, ab: torch.Tensor):
        """Squared norm ‖x_0 − E[x_0 | x_k]‖² per row, in eigen-coordinates, where
        x_k = √ᾱ x_0 + √(1 − ᾱ) ε and the gain is √ᾱ λ / (ᾱ λ + 1 − ᾱ)."""
        a = ab[:, None]
        gain = a.sqrt() * self.lam / (a * self.lam + 1 - a)
        return (px0 - gain * (a.sqrt() * px0 + (1 - a).sqrt() * peps)).square().sum(1)


@dataclass(frozen=True)
class Empirical:
    """The training images y (m, D) float64 and their squared norms."""

    y: torch.Tensor
    norms: torch.Tensor

    @classmethod
    def fit(cls, images: np.ndarray) -> "Empirical":
        y = torch.as_tensor(np.asarray(images), dtype=torch.float64).flatten(1)
        return cls(y, y.square().sum(1))

    def project(self, x: torch.Tensor, centre: bool) -> torch.Tensor:
        """Inner products x · y_j with every training image (n, m)."""
        return x @ self.y.T

    def error(self, x0: torch.Tensor, px0: torch.Tensor, peps: torch.Tensor, ab: torch.Tensor,
              chunk: int = 128) -> torch.Tensor:
        """‖x_0 − Σ_j w_j y_j‖² per row, w = softmax_j(−‖x_k − √ᾱ y_j‖² / (2(1 − ᾱ))), in
        chunks of rows of similar ᾱ. Weights below 1e-17 of their row's largest are dropped
        (together below round-off), so a chunk of peaked rows multiplies only the training
        images it uses."""
        order = torch.argsort(ab)
        out = torch.empty(len(x0), dtype=torch.float64)
        for i in range(0, len(x0), chunk):
            rows = order[i:i + chunk]
            a = ab[rows, None]
            xy = a.sqrt() * px0[rows] + (1 - a).sqrt() * peps[rows]  # x_k · y_j
            w = torch.softmax((2 * a.sqrt() * xy - a * self.norms) / (2 * (1 - a)), dim=1)
            used = torch.nonzero((w > 1e-17 * w.amax(1, keepdim=True)).any(0)).squeeze(1)
            x0_hat = (w[:, used] @ self.y[used] / w[:, used].sum(1, keepdim=True)
                      if 2 * len(used) < len(self.y) else w @ self.y)
            out[rows] = (x0[rows] - x0_hat).square().sum(1)
        return out


def fit(kind: str, images: np.ndarray):
    """The reference denoiser ``kind`` fitted on training images (n, C, H, W)."""
    if kind not in DENOISERS:
        raise ValueError(f"unknown reference denoiser {kind!r}; allowed: {', '.join(DENOISERS)}")
    return Wiener.fit(images) if kind == "wiener" else Empirical.fit(images)


def per_image_losses(denoiser, sets: dict, eps: torch.Tensor, ks: dict,
                     alpha_bar: torch.Tensor, progress=None) -> dict:
    """{t: {set: (n,) ε-prediction losses}} of ``denoiser`` on every set (n, C, H, W) at the
    steps ``ks[t]`` (n,) with noise ε (n, C, H, W), the same image for image in every set.

    ε̂ − ε = √ᾱ (x_0 − x̂_0) / √(1 − ᾱ), so the loss is ᾱ/(1 − ᾱ) ‖x_0 − x̂_0‖² / D. Projections
    of ε and of each set (eigen-coordinates or inner products with the training images) are
    computed once and shared by every t. ``progress``: called with the number of sets done.
    """
    e = eps.double().flatten(1)
    peps = denoiser.project(e, centre=False)
    out = {t: {} for t in ks}
    for name, images in sets.items():
        x0 = torch.as_tensor(np.asarray(images[:len(e)]), dtype=torch.float64).flatten(1)
        px0 = denoiser.project(x0, centre=True)
        for t, k in ks.items():
            ab = alpha_bar.double()[k]
            err = denoiser.error(x0, px0, peps, ab)
            out[t][name] = (ab / (1 - ab) * err / x0.shape[1]).numpy()
        if progress is not None:
            progress(len(out[next(iter(ks))]))
    return out
