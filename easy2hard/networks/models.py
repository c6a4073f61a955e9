"""Wide and deep noise predictors on the MCM, batched over R runs (docs/science.md §4.4-4.6).

Every parameter is a tensor with a leading run dimension R and the forward pass uses
torch.bmm, so R runs (seeds, activations, t) that share shapes advance as one computation.
Inputs are x (R, B, N); outputs are the predicted noise ε(x) (R, B, N).

- **Wide two-layer tied autoencoder** (paper Fig. 3a):
  ε(x) = a·x + Wᵀ σ(c W x) + b,  W (R, m, N),  c = e^{-τ}/sqrt(Δ_τ),  a a scalar per run;
  τ is the run's t unless the caller passes c (the authors' code computes c at τ = 0.3).
- **L-layer residual network** (paper Figs. 1c, 3b-c):
  h_1 = σ(W_1 x),  h_{l+1} = κ h_l + σ(W_{l+1} h_l),  ε(x) = W_out h_L + a·x  [+ A x + b],
  κ = 1, no biases; the trainable linear map A x + b is the Fig. 1c variant.

Parameters live in a plain dict name -> stacked tensor, so any optimiser that is
elementwise (Adam, SGD) is R independent optimisers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..core import activations, lockstep
from ..core.diffusion import delta

MODELS = ("autoencoder", "resnet")

@dataclass(frozen=True)
class Arch:
    """Shapes and fixed settings shared by every run of one batched computation."""

    model: str
    N: int
    m: int
    L: int = 1
    linear_map: bool = False
    kappa: float = 1.0

    def __post_init__(self):
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}; allowed: {', '.join(MODELS)}")
        if self.model == "resnet" and self.L < 1:
            raise ValueError(f"the residual network needs depth L >= 1, got L={self.L}")


def activation_groups(names):
    """Contiguous runs that share an activation: [(name, slice), ...] in run order."""
    return lockstep.groups(list(names))


def act(groups, h, t):
    """σ applied per run group to h (R, ...); t (R,) is read only by sigma_star (β_v = inf)."""
    def one(name, x, sl):
        tt = t[sl].reshape((-1,) + (1,) * (x.dim() - 1))
        return activations.value(name, x, tt, math.inf)

    if len(groups) == 1:
        return one(groups[0][0], h, groups[0][1])
    return torch.cat([one(name, h[sl], sl) for name, sl in groups])


def init(arch: Arch, generators, w_init_var: float = 0.01, a_init: float = 1.0,
         dtype=torch.float32, device=None) -> dict:
    """Stacked initial parameters, run r drawn from ``generators[r]`` only.

    First layer W_ij ~ N(0, w_init_var / N); deeper layers and W_out ~ N(0, 1/m);
    a = a_init; b = 0; the linear map A starts at 0.
    """
    N, m = arch.N, arch.m

    def per_run(g):
        p = {"W": torch.randn(m, N, generator=g) * math.sqrt(w_init_var / N)}
        if arch.model == "resnet":
            for l in range(2, arch.L + 1):
                p[f"W{l}"] = torch.randn(m, m, generator=g) / math.sqrt(m)
            p["W_out"] = torch.randn(N, m, generator=g) / math.sqrt(m)
        return p

    runs = [per_run(g) for g in generators]
    R = len(runs)
    params = {k: torch.stack([r[k] for r in runs]) for k in runs[0]}
    params["a"] = torch.full((R,), float(a_init))
    if arch.model == "autoencoder" or arch.linear_map:
        params["b"] = torch.zeros(R, N)
    if arch.linear_map:
        params["A"] = torch.zeros(R, N, N)
    return {k: v.to(device=device, dtype=dtype) for k, v in params.items()}


def c_of_t(t):
    """c = e^{-t} / sqrt(Δ_t), the autoencoder's input scale."""
    t = torch.as_tensor(t)
    return torch.exp(-t) / torch.sqrt(delta(t))


def forward(arch: Arch, params: dict, x: torch.Tensor, groups, t: torch.Tensor,
            c: torch.Tensor | None = None) -> torch.Tensor:
    """Predicted noise ε(x) for x (R, B, N); t (R,) the diffusion time of each run; c (R,)
    the autoencoder's input scale (None: c_of_t(t))."""
    W = params["W"]
    skip = params["a"][:, None, None] * x
    if arch.model == "autoencoder":
        c = (c_of_t(t) if c is None else c).to(x)[:, None, None]
        s = act(groups, c * torch.bmm(x, W.transpose(1, 2)), t)
        return torch.baddbmm(skip + params["b"][:, None, :], s, W)
    h = act(groups, torch.bmm(x, W.transpose(1, 2)), t)
    for l in range(2, arch.L + 1):
        h = arch.kappa * h + act(groups, torch.bmm(h, params[f"W{l}"].transpose(1, 2)), t)
    out = torch.baddbmm(skip, h, params["W_out"].transpose(1, 2))
    if arch.linear_map:
        out = torch.baddbmm(out + params["b"][:, None, :], x, params["A"].transpose(1, 2))
    return out


def overlap(W: torch.Tensor, direction: torch.Tensor) -> torch.Tensor:
    """max_i |<w_i, d>| / ‖w_i‖ over the rows of W (R, m, N); shape (R,).

    ``direction`` (N,) or one per run (R, N), of unit norm.
    """
    d = direction.to(W)
    proj = (W @ d if d.dim() == 1 else torch.bmm(W, d[:, :, None])[..., 0]).abs()
    return (proj / W.norm(dim=-1).clamp_min(torch.finfo(W.dtype).tiny)).amax(-1)


def chance_overlap(N: int, m: int, points: int = 20001) -> float:
    """E max_i |<w_i, d>| / ‖w_i‖ over m independent isotropic rows w_i (the overlap of a
    random initialisation, docs/science.md §4.6), by quadrature.

    The cosine c of one row has density ∝ (1 - c²)^{(N-3)/2} on [-1, 1]; with F the law of |c|,
    E max = ∫_0^1 (1 - F(x)^m) dx.
    """
    x = np.linspace(0.0, 1.0, points)
    with np.errstate(divide="ignore"):
        f = np.exp(0.5 * (N - 3) * np.log1p(-x * x)) if N > 3 else np.ones_like(x)
    F = np.concatenate([[0.0], np.cumsum((f[1:] + f[:-1]) / 2 * np.diff(x))])
    F /= F[-1]
    return float(np.trapezoid(1 - F**m, x))


def autoencoder_grads(params: dict, xt: torch.Tensor, z: torch.Tensor, groups, t: torch.Tensor,
                      with_loss: bool = False, c: torch.Tensor | None = None):
    """Per-run loss mean_{B,N} (ε(x_t) - z)² of the tied autoencoder and its gradients.

    Hand-written backward pass (equal to autograd's, see tests) that fuses the work: the
    input scale c is folded into W, the residual a x_t + b - z feeds one baddbmm, and the
    two uses of the tied W meet in one accumulated bmm:
    ∇_W = (2/BN) [σ(H)ᵀ E + c (E Wᵀ ⊙ σ'(H))ᵀ x_t],  H = c x_t Wᵀ,  E = ε(x_t) - z.
    Returns ({"W", "a", "b"} gradients, and the loss (R,) if ``with_loss``); c as in forward.
    """
    W, a, b = params["W"], params["a"], params["b"]
    R, B, N = xt.shape
    c = (c_of_t(t) if c is None else c).to(W)[:, None, None]
    cW = c * W
    H = torch.bmm(xt, cW.transpose(1, 2))
    if len(groups) == 1 and groups[0][0] == "relu":
        S = torch.relu(H)
        dS = H > 0
    else:
        parts = [activations.evaluate(name, H[sl], t[sl].reshape(-1, 1, 1), math.inf)
                 for name, sl in groups]
        S = torch.cat([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
        dS = torch.cat([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]
    E = torch.addcmul(b[:, None, :] - z, a[:, None, None], xt)
    E = torch.baddbmm(E, S, W)
    G = torch.bmm(E, cW.transpose(1, 2)).mul_(dS)
    gW = torch.baddbmm(torch.bmm(S.transpose(1, 2), E), G.transpose(1, 2), xt)
    scale = 2.0 / (B * N)
    grads = {"W": gW.mul_(scale),
             "a": torch.linalg.vecdot(E.reshape(R, -1), xt.reshape(R, -1)).mul_(scale),
             "b": E.sum(1).mul_(scale)}
    return (grads, E.square().mean((1, 2))) if with_loss else grads
