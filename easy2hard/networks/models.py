"""Wide and deep noise predictors on the MCM, batched over R runs (SCIENCE §4).

Every parameter is a tensor with a leading run dimension R and the forward pass uses
torch.bmm, so R runs (seeds, activations, t) that share shapes advance as one computation.
Inputs are x (R, B, N); outputs are the predicted noise ε(x) (R, B, N).

- **Wide two-layer tied autoencoder** (paper Fig. 3a):
  ε(x) = a·x + Wᵀ σ(c W x) + b,  W (R, m, N),  c = e^{-t}/sqrt(Δ_t),  a a scalar per run.
- **L-layer residual network** (paper Figs. 1c, 3b-c):
  h_1 = σ(W_1 x),  h_{l+1} = κ h_l + σ(W_{l+1} h_l),  ε(x) = W_out h_L + a·x  [+ A x + b],
  κ = 1, no biases; the trainable linear map A x + b is the Fig. 1c variant.

Parameters live in a plain dict name -> stacked tensor, so any optimiser that is
elementwise (Adam, SGD) is R independent optimisers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..core import activations
from ..core.diffusion import delta

MODELS = ("autoencoder", "resnet")

# Forward-only activations (σ without σ'); anything else goes through activations.evaluate.
_FAST = {
    "relu": torch.relu,
    "relu2": lambda h: torch.relu(h).square(),
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "square": torch.square,
    "linear": lambda h: h,
}


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
    groups, start = [], 0
    for i in range(1, len(names) + 1):
        if i == len(names) or names[i] != names[start]:
            groups.append((names[start], slice(start, i)))
            start = i
    return groups


def act(groups, h, t=None):
    """σ applied per run group to h (R, ...); t (R,) is needed only by sigma_star."""
    def one(name, x, sl):
        if name in _FAST:
            return _FAST[name](x)
        tt = 0.1 if t is None else t[sl].reshape((-1,) + (1,) * (x.dim() - 1))
        return activations.evaluate(name, x, tt)[0]

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


def forward(arch: Arch, params: dict, x: torch.Tensor, groups, t: torch.Tensor) -> torch.Tensor:
    """Predicted noise ε(x) for x (R, B, N); t (R,) the diffusion time of each run."""
    W = params["W"]
    skip = params["a"][:, None, None] * x
    if arch.model == "autoencoder":
        c = c_of_t(t).to(x)[:, None, None]
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


def autoencoder_grads(params: dict, xt: torch.Tensor, z: torch.Tensor, groups, t: torch.Tensor,
                      with_loss: bool = False):
    """Per-run loss mean_{B,N} (ε(x_t) - z)² of the tied autoencoder and its gradients.

    Hand-written backward pass (equal to autograd's, see tests) that fuses the work: the
    input scale c is folded into W, the residual a x_t + b - z feeds one baddbmm, and the
    two uses of the tied W meet in one accumulated bmm:
    ∇_W = (2/BN) [σ(H)ᵀ E + c (E Wᵀ ⊙ σ'(H))ᵀ x_t],  H = c x_t Wᵀ,  E = ε(x_t) - z.
    Returns ({"W", "a", "b"} gradients, and the loss (R,) if ``with_loss``).
    """
    W, a, b = params["W"], params["a"], params["b"]
    R, B, N = xt.shape
    c = c_of_t(t).to(W)[:, None, None]
    cW = c * W
    H = torch.bmm(xt, cW.transpose(1, 2))
    if len(groups) == 1 and groups[0][0] == "relu":
        S = torch.relu(H)
        dS = H > 0
    else:
        parts = [activations.evaluate(name, H[sl], t[sl].reshape(-1, 1, 1)) for name, sl in groups]
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
