"""Activations of the one-neuron denoiser, each returned with its derivative (SCIENCE §4).

``evaluate(name, h, t, beta_v)`` gives (σ(h), σ'(h)). Only the matched activation σ*_t
depends on the diffusion time t and the cumulant-spike strength β_v; both may be tensors
broadcastable to h, so runs with different t or β_v are evaluated together.
"""

from __future__ import annotations

import torch

from .diffusion import delta

NAMES = ("sigma_star", "tanh", "sigmoid", "relu", "relu2", "square", "tanh2",
         "scaled_tanh", "linear")


def spike_mixture(t, beta_v):
    """(a e^{-t}, V_t): the cumulant-spike marginal at time t is ±a e^{-t} with variance V_t.

    a² = β_v / (1 + β_v), s² = 1 / (1 + β_v) (a = 1, s = 0 for β_v = inf),
    V_t = e^{-2t} s² + Δ_t.
    """
    t = torch.as_tensor(t, dtype=torch.get_default_dtype())
    beta_v = torch.as_tensor(beta_v, dtype=t.dtype)
    s2 = torch.where(torch.isinf(beta_v), torch.zeros_like(beta_v), 1.0 / (1.0 + beta_v))
    a = torch.sqrt(1.0 - s2)
    decay = torch.exp(-t)
    return a * decay, decay**2 * s2 + delta(t)


def sigma_star(h, t, beta_v):
    """Matched activation σ*_t(h) = h (1 - 1/V) + (a e^{-t}/V) tanh(a e^{-t} h / V)."""
    ae, v = spike_mixture(t, beta_v)
    ae, v = ae.to(h), v.to(h)
    th = torch.tanh(ae * h / v)
    c = ae / v
    return h * (1 - 1 / v) + c * th, (1 - 1 / v) + c * c * (1 - th * th)


def evaluate(name: str, h: torch.Tensor, t=0.1, beta_v=float("inf")):
    """Return (σ(h), σ'(h)) for the activation ``name``."""
    if name == "sigma_star":
        return sigma_star(h, t, beta_v)
    if name == "tanh":
        th = torch.tanh(h)
        return th, 1 - th * th
    if name == "sigmoid":
        s = torch.sigmoid(h)
        return s, s * (1 - s)
    if name == "relu":
        return torch.relu(h), (h > 0).to(h.dtype)
    if name == "relu2":
        r = torch.relu(h)
        return r * r, 2 * r
    if name == "square":
        return h * h, 2 * h
    if name == "tanh2":
        th = torch.tanh(h)
        return th * th, 2 * th * (1 - th * th)
    if name == "scaled_tanh":
        th = torch.tanh(10 * h)
        return 0.1 * th, 1 - th * th
    if name == "linear":
        return h, torch.ones_like(h)
    raise ValueError(f"unknown activation {name!r}; allowed: {', '.join(NAMES)}")
