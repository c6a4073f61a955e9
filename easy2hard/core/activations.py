"""Activations of the denoisers, each returned with its derivative (docs/science.md §4.2-4.3).

The names (``NAMES``, with plot ``LABELS``) come from core/activation_names.py, the one list
(torch-free for the figure scripts).
``evaluate(name, h, t, beta_v)`` gives (σ(h), σ'(h)) and ``value(name, h, t, beta_v)`` σ(h)
alone. Only the matched activation σ*_t depends on the diffusion time t and the
cumulant-spike strength β_v; both may be tensors broadcastable to h, so runs with different t
or β_v are evaluated together. They are required for ``sigma_star`` (no silent default) and
ignored by every other activation.
"""

from __future__ import annotations

import torch

from .activation_names import LABELS, NAMES  # noqa: F401  (the one list)
from .diffusion import delta


# σ alone, without σ' (forward passes of the networks); the others go through evaluate.
_VALUES = {
    "relu": torch.relu,
    "relu2": lambda h: torch.relu(h).square(),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "square": torch.square,
    "linear": lambda h: h,
}


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


class SigmaStar:
    """σ*_t and σ*_t' with the constants of fixed (t, β_v) computed once, for inner loops.

    The same function as ``sigma_star``, evaluated as h (1 - 1/V) + k tanh(k h) with
    k = a e^{-t}/V precomputed (so its last bit may differ from ``sigma_star``'s).
    """

    def __init__(self, t, beta_v):
        ae, v = spike_mixture(t, beta_v)
        self.lin, self.k = 1 - 1 / v, ae / v

    def __call__(self, h):
        th = torch.tanh(self.k * h)
        return torch.addcmul(self.k * th, h, self.lin), self.lin + self.k * self.k * (1 - th * th)


def check(name: str) -> None:
    if name not in NAMES:
        raise ValueError(f"unknown activation {name!r}; allowed: {', '.join(NAMES)}")


def value(name: str, h: torch.Tensor, t=None, beta_v=None) -> torch.Tensor:
    """σ(h) alone (cheaper than ``evaluate`` for most activations)."""
    if name in _VALUES:
        return _VALUES[name](h)
    return evaluate(name, h, t, beta_v)[0]


def evaluate(name: str, h: torch.Tensor, t=None, beta_v=None):
    """Return (σ(h), σ'(h)) for the activation ``name``; t and β_v only for ``sigma_star``."""
    if name == "sigma_star":
        if t is None or beta_v is None:
            raise ValueError("sigma_star needs the diffusion time t and the spike strength beta_v")
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
    check(name)
