"""The mixed cumulant model (MCM) and its Gaussian clones (docs/science.md §3).

x = sqrt(β_u) λ u + S (sqrt(β_v) ν v + g),   S = I - (1 - 1/sqrt(1 + β_v)) v vᵀ,

with λ ~ N(0, 1), g ~ N(0, I_N) and ν a non-Gaussian latent of mean 0 and variance 1.
Along v this gives <v, x> = a ν + s <v, g> with a² = β_v/(1+β_v), s² = 1/(1+β_v), so
Var <v, x> = 1 and v shows only in cumulants of order >= 3. An optional mean shift adds
``mean_shift`` along a third direction orthogonal to u and v.
"""

from __future__ import annotations

import math

import torch

from . import clones
from .mcm_model import LATENTS, MCM  # noqa: F401  (torch-free, re-exported)

def spikes(N: int, kind: str = "axes", generator: torch.Generator | None = None):
    """Orthonormal (u, v, m): covariance spike, cumulant spike and mean direction.

    ``axes`` puts them on the first three coordinate axes (the authors' code); ``random``
    draws a uniformly random orthonormal triple from ``generator``.
    """
    if N < 3:
        raise ValueError(f"the MCM needs N >= 3 for u, v and the mean direction, got N={N}")
    if kind == "axes":
        basis = torch.eye(N)[:3]
    elif kind == "random":
        q, r = torch.linalg.qr(torch.randn(N, 3, generator=generator))
        basis = (q * torch.sign(torch.diagonal(r))).T
    else:
        raise ValueError(f"unknown spikes {kind!r}; allowed: axes, random")
    return basis[0].contiguous(), basis[1].contiguous(), basis[2].contiguous()


def latent(law: str, n: int, generator=None, a: float = 0.1, df: float = 5.0) -> torch.Tensor:
    """n draws of ν with mean 0 and variance 1."""
    if law == "rademacher":
        return torch.randint(0, 2, (n,), generator=generator).float() * 2 - 1
    if law == "three_point":
        if not 0 < a <= 0.5:
            raise ValueError(f"three_point latent needs 0 < a <= 0.5, got a={a}")
        r = torch.rand(n, generator=generator)
        return ((r < a).float() - (r > 1 - a).float()) / math.sqrt(2 * a)
    if law == "student_t":
        if df <= 2:
            raise ValueError(f"student_t latent needs df > 2 for a finite variance, got df={df}")
        return _student_t(n, df, generator) * math.sqrt((df - 2) / df)
    raise ValueError(f"unknown latent law {law!r}; allowed: {', '.join(LATENTS)}")


def _student_t(n: int, df: float, generator=None) -> torch.Tensor:
    """Student-t draws by Bailey's polar method (seeded through ``generator``)."""
    out = torch.empty(0)
    while out.numel() < n:
        uv = torch.rand(2, 2 * n + 16, generator=generator, dtype=torch.float64) * 2 - 1
        w = (uv**2).sum(0)
        keep = (w < 1) & (w > 0)
        u, w = uv[0, keep], w[keep]
        t = u * torch.sqrt(df * (w ** (-2 / df) - 1) / w)
        out = torch.cat([out, t.float()])
    return out[:n]


def nu(model: MCM, lam: torch.Tensor, generator=None) -> torch.Tensor:
    """The cumulant-spike latent ν for covariance latents λ: sign(λ) if correlated, else
    fresh draws of the model's latent law."""
    if model.correlated:
        return torch.sign(lam)
    return latent(model.latent, lam.numel(), generator, model.latent_a, model.student_df)


def sample(model: MCM, n: int, u, v, m, generator=None, out=None) -> torch.Tensor:
    """n samples (n, N) of the MCM with spikes u, v and mean direction m.

    Draws g, then λ, then ν from ``generator`` and assembles x with one rank-3 update
    x = g + [sqrt(β_u) λ, a ν + (s - 1) <g, v>, mean_shift] @ [u; v; m], in ``out`` if given.
    """
    g = (torch.empty(n, model.N) if out is None else out).normal_(generator=generator)
    lam = torch.randn(n, generator=generator)
    coef = torch.stack([math.sqrt(model.beta_u) * lam,
                        model.a * nu(model, lam, generator) + (model.s - 1) * (g @ v),
                        torch.full((n,), float(model.mean_shift))], dim=1)
    return g.addmm_(coef.to(g), torch.stack([u, v, m]).to(g))


def moments(model: MCM, u, v, m):
    """Exact mean and covariance of the MCM.

    Σ = I + β_u u uᵀ + c (u vᵀ + v uᵀ), with c = sqrt(β_u) a E[λ ν] and
    E[λ ν] = E|λ| = sqrt(2/π) for correlated latents, 0 otherwise.
    """
    mean = model.mean_shift * m
    cov = torch.eye(model.N) + model.beta_u * torch.outer(u, u)
    if model.correlated:
        c = math.sqrt(model.beta_u) * model.a * math.sqrt(2 / math.pi)
        cov = cov + c * (torch.outer(u, v) + torch.outer(v, u))
    return mean, cov


def clone_sampler(kind: str, mean: torch.Tensor, cov: torch.Tensor):
    """Return ``draw(n, generator)`` for the Gaussian clone ``kind`` of a law with moments
    (μ, Σ): ``mean`` N(μ, I), ``mean_iso`` N(μ, σ̄² I) or ``meancov`` N(μ, Σ) (core/clones.py)."""
    fac = clones.factor(kind, cov)
    if isinstance(fac, torch.Tensor):
        fac = fac.to(mean.dtype)

    def draw(n, generator=None):
        return clones.apply(mean, fac, torch.randn(n, mean.numel(), generator=generator))

    return draw
