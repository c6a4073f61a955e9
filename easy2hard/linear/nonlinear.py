"""A small nonlinear denoiser beside the linear one (docs/science.md §10.10): an MLP
ε_θ(x, k) trained on the same DDPM loss, schedule and training sets, R runs (N, seed) in
lockstep, and evaluated like the linear model: test and train error, a k-NN divergence of its
samples from held-out data, and the nearest / second-nearest training-point ratio.

The MLP of run r: h₁ = SiLU(W₁ [x, e(k)] + b₁), h₂ = SiLU(W₂ h₁ + b₂), ε̂ = W₃ h₂ + b₃, with
e(k) = (sin(π 2^j k/T), cos(π 2^j k/T)), j = 0..7. All weights carry a leading run axis
(batched matmuls); Adam is elementwise and every run draws its batches, steps k and noises
from its own streams, so a run trains the same alone or with companions.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..core import streams
from ..core.progress import Progress
from . import denoiser, sampling

log = logging.getLogger(__name__)
FREQUENCIES = 8


@dataclass(frozen=True)
class Settings:
    """The nonlinear trainer's settings (config linear.nonlinear less its cell lists)."""

    width: int = 128
    steps: int = 3000
    batch: int = 64
    lr: float = 2e-3
    lr_final: float = 2e-4
    chunk: int = 100
    samples: int = 500
    knn: int = 1
    eval_points: int = 2000


def embedding(k: torch.Tensor, T: int) -> torch.Tensor:
    """(..., 2 FREQUENCIES) sinusoidal features of the step k."""
    phase = math.pi * (k[..., None].float() / T) * 2.0 ** torch.arange(FREQUENCIES, device=k.device)
    return torch.cat([phase.sin(), phase.cos()], -1)


def init_params(runs, d: int, width: int, tag, device) -> list[torch.Tensor]:
    """W₁, b₁, W₂, b₂, W₃, b₃ with a leading run axis; uniform ±1/√fan_in from each run's stream."""
    shapes = [(d + 2 * FREQUENCIES, width), (width,), (width, width), (width,), (width, d), (d,)]
    fans = [d + 2 * FREQUENCIES, d + 2 * FREQUENCIES, width, width, width, width]
    per_run = []
    for N, seed in runs:
        gen = streams.generator(seed, "linear", "nonlinear", "init", *tag, N)
        per_run.append([(2 * torch.rand(s, generator=gen) - 1) / math.sqrt(f) for s, f in zip(shapes, fans)])
    return [torch.stack([p[i] for p in per_run]).to(device).requires_grad_() for i in range(6)]


def forward(params, x: torch.Tensor, k: torch.Tensor, T: int) -> torch.Tensor:
    """ε̂ (R, B, d) for x (R, B, d) and steps k (R, B)."""
    W1, b1, W2, b2, W3, b3 = params
    h = F.silu(torch.cat([x, embedding(k, T)], -1) @ W1 + b1[:, None])
    h = F.silu(h @ W2 + b2[:, None])
    return h @ W3 + b3[:, None]


def _draws(runs, tag, T: int, batch: int, d: int):
    """Per-run draws of (uniform for the index, uniform for k, noise) for c steps."""
    gens = [streams.generator(seed, "linear", "nonlinear", "batch", *tag, N) for N, seed in runs]
    return [lambda c, g=g: torch.cat([torch.rand(c, batch, 2, generator=g),
                                      torch.randn(c, batch, d, generator=g)], -1) for g in gens]


def train(data: list[np.ndarray], runs, t: denoiser.Terms, settings: Settings, tag=(),
          device=None, progress_log=None) -> list[torch.Tensor]:
    """Train one MLP per run (N, seed) on its training set ``data[r]`` (N, d); returns the
    parameters (leading run axis)."""
    device = torch.device(device or "cpu")
    R, d, T = len(runs), data[0].shape[1], t.T
    Nr = torch.tensor([len(x) for x in data], device=device)
    X = torch.zeros(R, int(Nr.max()), d, device=device)
    for r, x in enumerate(data):
        X[r, :len(x)] = torch.as_tensor(x, dtype=torch.float32)
    a = torch.as_tensor(t.a, dtype=torch.float32, device=device)
    s = torch.as_tensor(t.s, dtype=torch.float32, device=device)
    params = init_params(runs, d, settings.width, tag, device)
    opt = torch.optim.Adam(params, lr=settings.lr)
    steps = settings.steps
    rates = settings.lr * (settings.lr_final / settings.lr) ** (np.arange(steps) / max(steps - 1, 1))
    rows = torch.arange(R, device=device)[:, None]
    progress, step = Progress(steps, progress_log or log, what="steps"), 0
    for block in streams.chunked(_draws(runs, tag, T, settings.batch, d), steps, settings.chunk, device):
        for u in block:  # (R, B, 2 + d)
            idx = (u[..., 0] * Nr[:, None]).long().clamp_max_(X.shape[1] - 1)
            k = (u[..., 1] * T).long().clamp_max_(T - 1)
            eps = u[..., 2:]
            xk = a[k][..., None] * X[rows, idx] + s[k][..., None] * eps
            loss = (forward(params, xk, k, T) - eps).square().mean((1, 2)).sum()
            for group in opt.param_groups:
                group["lr"] = float(rates[step])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
        progress.update(step)
    progress.finish()
    return [p.detach() for p in params]


@torch.no_grad()
def denoising_error(params, points: torch.Tensor, t: denoiser.Terms, gen: torch.Generator,
                    n: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean, SE) per run of the per-dimension DDPM loss with k uniform, by Monte Carlo over
    n draws of (point, k, noise); ``points`` (R, M, d), one draw set shared by all runs."""
    R, M, d = points.shape
    idx = torch.randint(M, (n,), generator=gen)
    k = torch.randint(t.T, (n,), generator=gen)
    eps = torch.randn(n, d, generator=gen).to(points.device)
    a = torch.as_tensor(t.a, dtype=torch.float32)[k].to(points.device)[:, None]
    s = torch.as_tensor(t.s, dtype=torch.float32)[k].to(points.device)[:, None]
    xk = a * points[:, idx.to(points.device)] + s * eps
    err = (forward(params, xk, k.to(points.device).expand(R, n), t.T) - eps).square().mean(-1)
    return err.mean(1).cpu().numpy(), (err.std(1) / math.sqrt(n)).cpu().numpy()


@torch.no_grad()
def sample(params, runs, t: denoiser.Terms, n: int, d: int, tag=(), chunk: int = 100) -> np.ndarray:
    """(R, n, d) ancestral DDPM samples (the sampler of core.ddpm.sample, §10.4) of each run."""
    coef = torch.as_tensor(sampling.coefficients("ddpm", t), dtype=torch.float32)
    device = params[0].device
    gens = [streams.generator(seed, "linear", "nonlinear", "sample", *tag, N) for N, seed in runs]
    draws = [lambda c, g=g: torch.randn(c, n, d, generator=g) for g in gens]
    noise = streams.chunked(draws, t.T + 1, chunk, device)
    block, j = next(noise), 0
    x = block[0]
    for k in range(t.T - 1, -1, -1):
        j += 1
        if j == len(block):
            block, j = next(noise), 0
        eps = forward(params, x, torch.full(x.shape[:2], k, device=device), t.T)
        x = coef[0, k] * x + coef[1, k] * eps + coef[2, k] * block[j]
    return x.double().cpu().numpy()
