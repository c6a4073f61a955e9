"""Seeded draws of one random-features DSM problem and its feature map (docs/science.md §13.1).

Everything is drawn once at the largest size a sweep needs and sliced: the first n data
points, the first p rows of W, the first m noise samples of each point. Learning curves over
ψ_n, ψ_p and m therefore share their random numbers, and differences along a curve come from
the swept quantity, not from fresh draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..core import activations
from ..core.streams import generator
from ..core import ou

DTYPE = torch.float64


@dataclass
class Problem:
    """Data a (n_max, d) ~ N(0, I_d), first layer W (p_max, d) ~ N(0, 1), training noise
    z (m_max, n_max, d), evaluation noise (eval_points, d) and fresh target points
    x_test (eval_points, d) ~ N(0, I_d), for one seed and d."""

    a: torch.Tensor
    W: torch.Tensor
    z: torch.Tensor
    z_eval: torch.Tensor
    x_test: torch.Tensor
    t: float
    activation: str

    @property
    def d(self) -> int:
        return self.a.shape[1]

    @property
    def decay(self) -> float:
        return math.exp(-self.t)

    @property
    def delta(self) -> float:
        return ou.delta(self.t)


def draw(seed: int, d: int, n_max: int, p_max: int, m_max: int, eval_points: int, t: float,
         activation: str, tag: str = "") -> Problem:
    """One problem; each array from its own stream keyed by (seed, d, tag, name)."""
    def normal(name, *shape):
        return torch.randn(*shape, generator=generator(seed, "random_features", d, tag, name),
                           dtype=DTYPE)

    return Problem(a=normal("data", n_max, d), W=normal("W", p_max, d),
                   z=normal("noise", m_max, n_max, d), z_eval=normal("eval", eval_points, d),
                   x_test=normal("test", eval_points, d),
                   t=t, activation=activation)


def features(x: torch.Tensor, W: torch.Tensor, activation: str) -> torch.Tensor:
    """φ(x) = σ(W x / sqrt d) for points x (K, d): returns (p, K)."""
    return activations.evaluate(activation, W @ x.T / math.sqrt(W.shape[1]))[0]


def noisy(prob: Problem, n: int, m: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The n m training pairs (x_ij, z_ij), x_ij = e^{-t} a_i + sqrt(Δ) z_ij, as (n m, d) each,
    noise sample j outermost (so the pairs of m are the first n m rows of those of m' > m)."""
    z = prob.z[:m, :n].reshape(m * n, prob.d)
    x = prob.decay * prob.a[:n].repeat(m, 1) + math.sqrt(prob.delta) * z
    return x, z


def mixture_points(prob: Problem, n: int) -> torch.Tensor:
    """Evaluation points from the training mixture: fresh noise around a_{k mod n}."""
    k = prob.z_eval.shape[0]
    idx = torch.arange(k) % n
    return prob.decay * prob.a[idx] + math.sqrt(prob.delta) * prob.z_eval
