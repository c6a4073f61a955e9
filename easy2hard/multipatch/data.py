"""Multi-patch data of Han et al. (docs/science.md §11.1) and its exact Gaussian clones (§11.5).

A sample is x = [x⁽¹⁾, …, x⁽ᴾ⁾] with P = S + Q patches of dimension d. The label y = ±1 is
uniform. Signal patch p (p < S) is μ_{p,y}: the two class vectors μ_{p,+1} = s_p‖μ‖ e_{2p} and
μ_{p,−1} = s_p‖μ‖ e_{2p+1} are orthogonal and of norm s_p‖μ‖. Each of the Q noise patches is
ξ ~ N(0, σ_ξ² I) (or N(0, σ_ξ²(I − Π)) with Π the projector on every μ, Definition 2.1).
With one signal patch and one noise patch this is the paper's two-patch model, and
SNR = ‖μ‖ / (σ_ξ √d), so ‖μ‖ = σ_ξ √(d · n SNR² / n).

Sparse signal (§11.5): with ``sparsity`` p < 1 the signal patches of a sample are a_i μ_{p,y}
with a_i = p^{-1/2} with probability p and 0 otherwise (E a² = 1, E a⁴ = 1/p): the same second
moment as p = 1, but a fourth moment along every μ that the denoiser's filters see.

The random parts (labels, base normals, amplitudes) depend on (seed, tag) only, not on ‖μ‖:
runs that differ only in SNR see the same labels and the same noise (common random numbers).
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


def amplitudes(seed: int, tag: str, n: int, sparsity: float, dtype=torch.float64) -> torch.Tensor:
    """a_i (n,): 1 when ``sparsity`` = 1, else p^{-1/2} with probability p and 0 otherwise,
    from stream (seed, multipatch, amplitude, tag)."""
    if sparsity >= 1:
        return torch.ones(n, dtype=dtype)
    u = torch.rand(n, generator=streams.generator(seed, "multipatch", "amplitude", tag), dtype=dtype)
    return (u < sparsity).to(dtype) / math.sqrt(sparsity)


def draw(seed: int, tag: str, n: int, d: int, mus: torch.Tensor, noise_patches: int,
         sigma_xi: float, project: bool, sparsity: float = 1.0) -> dict:
    """n samples: ``x`` (n, S + Q, d), labels ``y`` (n,) = ±1, noise patches ``xi`` (n, Q, d).

    Labels come from stream (seed, multipatch, labels, tag), base normals from
    (seed, multipatch, noise, tag), amplitudes from ``amplitudes``.
    """
    g_y = streams.generator(seed, "multipatch", "labels", tag)
    g_z = streams.generator(seed, "multipatch", "noise", tag)
    y = 1 - 2 * torch.randint(0, 2, (n,), generator=g_y).to(mus.dtype)  # +1 or -1
    z = torch.randn(n, noise_patches, d, generator=g_z, dtype=mus.dtype)
    xi = _noise(z, mus, sigma_xi, project)
    a = amplitudes(seed, tag, n, sparsity, mus.dtype)
    signal = torch.where((y > 0)[:, None, None], mus[None, :, 0], mus[None, :, 1]) * a[:, None, None]
    return {"x": torch.cat([signal, xi], dim=1), "y": y, "xi": xi, "z": z, "sparsity": sparsity}


def population_mean(mus: torch.Tensor, noise_patches: int, sparsity: float = 1.0) -> torch.Tensor:
    """E x, shape (S + Q, d): E a (μ_{p,+1} + μ_{p,−1}) / 2 on signal patches (E a = √p), 0 on noise."""
    zeros = torch.zeros(noise_patches, mus.shape[-1], dtype=mus.dtype)
    return torch.cat([math.sqrt(min(sparsity, 1.0)) * mus.mean(1), zeros])


def clones(test: dict, mus: torch.Tensor, sigma_xi: float, project: bool, seed: int) -> dict:
    """The exact Gaussian clones of the data, drawn with the test set's random numbers.

    The signal patches are a μ_y = a μ̄ + (a y) h with μ̄ = (μ_{+1} + μ_{−1}) / 2 and
    h = (μ_{+1} − μ_{−1}) / 2; the latents a and a y are uncorrelated, with means (√p, 0) and
    variances (1 − p, 1). So N(E x, Cov x) is E a μ̄ + √(1 − p) g₁ μ̄ + g h with g₁, g ~ N(0, 1)
    on every signal patch: ``meancov`` keeps the test set's noise patches (x is affine in the
    Gaussian z there). ``mean`` is N(E x, I): E x plus the base normals (the test set's z on
    noise patches, fresh normals from stream (seed, multipatch, clone, mean) on signal patches).
    """
    n, S = test["x"].shape[0], mus.shape[0]
    d, p = mus.shape[-1], min(test.get("sparsity", 1.0), 1.0)
    g = torch.randn(n, generator=streams.generator(seed, "multipatch", "clone", "meancov"),
                    dtype=mus.dtype)
    g1 = torch.randn(n, generator=streams.generator(seed, "multipatch", "clone", "amplitude"),
                     dtype=mus.dtype)
    half_gap = (mus[:, 0] - mus[:, 1]) / 2  # (S, d)
    centre = (math.sqrt(p) + math.sqrt(1 - p) * g1)[:, None, None] * mus.mean(1)[None]
    signal = centre + g[:, None, None] * half_gap[None]
    meancov = torch.cat([signal, test["xi"]], dim=1)
    fresh = torch.randn(n, S, d, generator=streams.generator(seed, "multipatch", "clone", "mean"),
                        dtype=mus.dtype)
    mean = population_mean(mus, test["z"].shape[1], p)[None] + torch.cat([fresh, test["z"]], dim=1)
    return {"mean": mean, "meancov": meancov}
