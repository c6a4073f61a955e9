"""Multi-patch data of Han et al. (docs/science.md §11.1) and its exact Gaussian clones (§11.5).

A sample is x = [x⁽¹⁾, …, x⁽ᴾ⁾] with P = S + Q patches of dimension d. The label y = ±1 is
uniform. Signal patch p (p < S) is μ_{p,y}: the two class vectors μ_{p,+1} = s_p‖μ‖ e_{2p} and
μ_{p,−1} = s_p‖μ‖ e_{2p+1} are orthogonal and of norm s_p‖μ‖. Each of the Q noise patches is
ξ ~ N(0, σ_ξ² I) (or N(0, σ_ξ²(I − Π)) with Π the projector on every μ, Definition 2.1).
With one signal patch and one noise patch this is the paper's two-patch model, and
SNR = ‖μ‖ / (σ_ξ √d), so ‖μ‖ = σ_ξ √(d · n SNR² / n).

The random parts (labels, base normals) depend on (seed, tag) only, not on ‖μ‖: runs that
differ only in SNR see the same labels and the same noise (common random numbers).
"""

from __future__ import annotations

import math

import torch

from ..core import streams


def mu_norm(n_snr2: float, n: int, d: int, sigma_xi: float) -> float:
    """‖μ‖ that gives n · SNR² = ``n_snr2`` with SNR = ‖μ‖ / (σ_ξ √d)."""
    return sigma_xi * math.sqrt(d * n_snr2 / n)


def signal_vectors(d: int, norm: float, scales, dtype=torch.float64) -> torch.Tensor:
    """(S, 2, d): μ_{p,+1} = s_p‖μ‖ e_{2p}, μ_{p,−1} = s_p‖μ‖ e_{2p+1} (index 0 is y = +1)."""
    if d < 2 * len(scales):
        raise ValueError(f"d = {d} is too small for {len(scales)} signal patches (needs 2 per patch)")
    mus = torch.zeros(len(scales), 2, d, dtype=dtype)
    for p, s in enumerate(scales):
        mus[p, 0, 2 * p] = s * norm
        mus[p, 1, 2 * p + 1] = s * norm
    return mus


def _noise(z: torch.Tensor, mus: torch.Tensor, sigma_xi: float, project: bool) -> torch.Tensor:
    """σ_ξ z, projected off the span of the (orthogonal) signal vectors if ``project``."""
    xi = sigma_xi * z
    if project:
        units = mus.reshape(-1, mus.shape[-1])
        units = units / units.norm(dim=1, keepdim=True)
        xi = xi - (xi @ units.T) @ units
    return xi


def draw(seed: int, tag: str, n: int, d: int, mus: torch.Tensor, noise_patches: int,
         sigma_xi: float, project: bool) -> dict:
    """n samples: ``x`` (n, S + Q, d), labels ``y`` (n,) = ±1, noise patches ``xi`` (n, Q, d).

    Labels come from stream (seed, multipatch, labels, tag), base normals from
    (seed, multipatch, noise, tag).
    """
    g_y = streams.generator(seed, "multipatch", "labels", tag)
    g_z = streams.generator(seed, "multipatch", "noise", tag)
    y = 1 - 2 * torch.randint(0, 2, (n,), generator=g_y).to(mus.dtype)  # +1 or -1
    z = torch.randn(n, noise_patches, d, generator=g_z, dtype=mus.dtype)
    xi = _noise(z, mus, sigma_xi, project)
    signal = torch.where((y > 0)[:, None, None], mus[None, :, 0], mus[None, :, 1])  # (n, S, d)
    return {"x": torch.cat([signal, xi], dim=1), "y": y, "xi": xi, "z": z}


def population_mean(mus: torch.Tensor, noise_patches: int) -> torch.Tensor:
    """E x, shape (S + Q, d): (μ_{p,+1} + μ_{p,−1}) / 2 on signal patches, 0 on noise."""
    zeros = torch.zeros(noise_patches, mus.shape[-1], dtype=mus.dtype)
    return torch.cat([mus.mean(1), zeros])


def clones(test: dict, mus: torch.Tensor, sigma_xi: float, project: bool, seed: int) -> dict:
    """The exact Gaussian clones of the data, drawn with the test set's random numbers.

    x is affine in (ν, z) with ν = y (mean 0, variance 1) and z Gaussian, so
    N(E x, Cov x) is the same affine map of (g, z) with g ~ N(0, 1): ``meancov`` keeps the
    test set's noise patches and replaces the label sign by g on every signal patch.
    ``mean`` is N(E x, I): E x plus the base normals (the test set's z on noise patches, fresh
    normals from stream (seed, multipatch, clone, mean) on signal patches).
    """
    n, S = test["x"].shape[0], mus.shape[0]
    d = mus.shape[-1]
    g = torch.randn(n, generator=streams.generator(seed, "multipatch", "clone", "meancov"),
                    dtype=mus.dtype)
    half_gap = (mus[:, 0] - mus[:, 1]) / 2  # (S, d)
    signal = mus.mean(1)[None] + g[:, None, None] * half_gap[None]
    meancov = torch.cat([signal, test["xi"]], dim=1)
    fresh = torch.randn(n, S, d, generator=streams.generator(seed, "multipatch", "clone", "mean"),
                        dtype=mus.dtype)
    mean = population_mean(mus, test["z"].shape[1])[None] + torch.cat([fresh, test["z"]], dim=1)
    return {"mean": mean, "meancov": meancov}
