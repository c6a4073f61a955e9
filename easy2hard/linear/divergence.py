"""Sample-based divergences of the linear stage (docs/science.md §10.8).

- ``mc_kl``: KL(q ‖ p) for a Gaussian q = N(m, U diag(v) Uᵀ) (a linear model's exact sampling
  distribution) and a target p with an exact density: the Monte-Carlo mean of
  log q(x) - log p(x) over x ~ q, with its standard error sd / √n. Unbiased; consistent by the
  law of large numbers (the log-density ratio has a finite variance under q).
- ``knn_kl``: the k-nearest-neighbour estimator of KL(P ‖ Q) from samples alone (Wang,
  Kulkarni & Verdú 2009): (d/n) Σ_i ln(ν_k(i) / ρ_k(i)) + ln(m / (n - 1)), ρ_k(i) the distance
  of x_i to its k-th neighbour among the other x, ν_k(i) to its k-th neighbour among the m
  draws of Q. Consistent (n, m → ∞, k fixed) for densities bounded away from 0 and ∞ on
  their support; biased at finite n in high d, so it is calibrated on Gaussians, where the
  exact KL is known. Used in whitened coordinates (KL is invariant under affine maps).
- ``neighbour_ratio``: distance of each sample to its nearest training point over the
  distance to the second nearest (≈ 0: a copy of a training point; memorisation).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .targets import Target

VARIANCE_FLOOR = 1e-12


def mc_kl(target: Target, mean: np.ndarray, U: np.ndarray, var: np.ndarray,
          z: np.ndarray) -> tuple[float, float]:
    """(KL estimate, standard error) of KL(N(mean, U diag(var) Uᵀ) ‖ target) from the white
    Gaussian draws ``z`` (n, d) (common random numbers across models); ∞ if var collapses."""
    if var.min() <= VARIANCE_FLOOR:
        return math.inf, 0.0
    x = mean + (z * np.sqrt(var)) @ U.T
    log_q = -0.5 * (z * z).sum(1) - 0.5 * np.log(var).sum() - 0.5 * len(var) * math.log(2 * math.pi)
    ratio = log_q - target.log_density(x)
    return float(ratio.mean()), float(ratio.std(ddof=1) / math.sqrt(len(ratio)))


def _kth_distance(x: torch.Tensor, y: torch.Tensor, k: int, exclude_self: bool,
                  chunk: int = 2048) -> torch.Tensor:
    """Distance of each row of x to its k-th nearest row of y (skipping itself if asked)."""
    out = []
    for i in range(0, len(x), chunk):
        dist = torch.cdist(x[i:i + chunk], y)
        if exclude_self:
            idx = torch.arange(i, min(i + chunk, len(x)))
            dist[torch.arange(len(idx)), idx] = math.inf
        out.append(dist.topk(k, dim=1, largest=False).values[:, -1])
    return torch.cat(out)


def knn_kl(x: np.ndarray, y: np.ndarray, k: int = 1) -> tuple[float, float]:
    """(estimate, standard error of the mean of its n terms) of KL(P ‖ Q), x ~ P (n, d),
    y ~ Q (m, d)."""
    xt, yt = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    n, d = xt.shape
    rho = _kth_distance(xt, xt, k, True).clamp_min(1e-300)
    nu = _kth_distance(xt, yt, k, False).clamp_min(1e-300)
    terms = (d * torch.log(nu / rho)).numpy()
    est = float(terms.mean() + math.log(len(yt) / (n - 1)))
    return est, float(terms.std(ddof=1) / math.sqrt(n))


def neighbour_ratio(samples: np.ndarray, train: np.ndarray) -> np.ndarray:
    """(n,) nearest / second-nearest training-point distance of each sample (N >= 2)."""
    dist = torch.cdist(torch.as_tensor(samples, dtype=torch.float64),
                       torch.as_tensor(train, dtype=torch.float64))
    two = dist.topk(2, dim=1, largest=False).values
    return (two[:, 0] / two[:, 1].clamp_min(1e-300)).numpy()
