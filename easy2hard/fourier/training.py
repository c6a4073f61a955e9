"""Lockstep online training of a denoiser on the synthetic model (docs/science.md §12.3).

R runs advance as one batched computation: every parameter has a leading run dimension,
the loss of run r depends on run r's parameters only, and the optimisers (Adam, SGD) are
elementwise, so the R runs are R independent trainings. Each run draws its clean signals
from its own source and its noise from its own generator, so a run's trajectory does not
depend on its companions.

Each step: x₀ (R, B, N) fresh from the sources, z ~ N(0, I), x_t = e^{-t} x₀ + √Δ_t z, one
step on the noise-prediction loss mean_{B,N} (ε(x_t) − z)². At log-spaced steps the test
loss is measured on a held-out set of the data and of its clone, with the same noise z
(common random numbers), and with it the paired gap L_clone − L_data and its standard error.

The denoiser is any object with ``forward(params, x) -> ε`` and, optionally,
``grads(params, x_t, z) -> {name: gradient}`` (a hand-written backward pass); without
``grads`` autograd is used. The package knows no architecture: the workflow passes one in.
"""

from __future__ import annotations

import logging
import math
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import torch

from ..core.diffusion import delta
from ..core.lockstep import log_steps
from ..core.lockstep import make_optimizer
from ..core import streams
from . import synthetic

log = logging.getLogger(__name__)


@torch.no_grad()
def test_losses(denoiser, params, tests: dict, t: float) -> dict:
    """Per-run test loss on the data and the clone, and the paired gap with its s.e."""
    decay, sd = math.exp(-t), math.sqrt(float(delta(torch.tensor(t))))
    z = tests["z"]
    per = {k: (denoiser.forward(params, decay * tests[k] + sd * z) - z).square().mean(-1)
           for k in ("data", "clone")}  # (R, n) per-sample losses
    gap = per["clone"] - per["data"]
    n = gap.shape[1]
    return {"loss_data": per["data"].mean(1), "loss_clone": per["clone"].mean(1),
            "gap": gap.mean(1), "gap_se": gap.std(1) / math.sqrt(n)}


def _step(denoiser, params, trainable, opt, xt, z):
    opt.zero_grad()
    if hasattr(denoiser, "grads"):
        for k, g in denoiser.grads(params, xt, z).items():
            if params[k].requires_grad:
                params[k].grad = g
    else:
        (denoiser.forward(params, xt) - z).square().mean((1, 2)).sum().backward()
    opt.step()


def train(denoiser, params: dict, sources, noises, tests: dict, *, t: float, steps: int,
          batch: int, lr: float, optimizer: str = "adam", log_points: int = 30,
          chunk: int = 64) -> pd.DataFrame:
    """Train R runs in lockstep; one row per (run, logged step).

    ``sources[r](n)`` returns run r's next n clean signals (n, N); ``noises[r]`` is run r's
    noise generator; ``tests`` holds "data", "clone" and "z", each (R, n_eval, N), on the
    parameters' device. Columns: run, step, n (= step × batch), loss_data, loss_clone,
    gap, gap_se, a (the skip coefficient).
    """
    W = params["W"]
    R, N = W.shape[0], W.shape[-1]
    trainable = [p.requires_grad_(True) for p in params.values()]
    opt = make_optimizer(trainable, torch.full((R,), float(lr)), optimizer)
    decay, sd = math.exp(-t), math.sqrt(float(delta(torch.tensor(t))))
    marks = log_steps(steps, log_points)

    def record(step):
        row = {k: v.detach().cpu().double().numpy() for k, v in test_losses(denoiser, params, tests, t).items()}
        return {"run": np.arange(R), "step": step, "n": step * batch, **row,
                "a": params["a"].detach().cpu().double().numpy()}

    rows, step, t0 = [record(0)], 0, time.perf_counter()
    while step < steps:
        c = min(chunk, steps - step)
        x0 = torch.stack([src(c * batch).reshape(c, batch, N) for src in sources], 1)
        z = torch.stack([torch.randn(c, batch, N, generator=g, dtype=x0.dtype) for g in noises], 1)
        x0, z = x0.to(W), z.to(W)
        xt = decay * x0 + sd * z
        for i in range(c):
            _step(denoiser, params, trainable, opt, xt[i], z[i])
            step += 1
            if step in marks:
                rows.append(record(step))
                log.info("step %d/%d (%.0f steps/s): relative gap %s", step, steps,
                         step / (time.perf_counter() - t0),
                         np.array2string(rows[-1]["gap"] / rows[-1]["loss_clone"], precision=3))
    return pd.concat([pd.DataFrame(r) for r in rows], ignore_index=True)


def with_linear(denoiser, L: torch.Tensor):
    """The denoiser plus a fixed linear noise predictor x ↦ L x (L (N, N), or (R, N, N)).

    Training it is training ``denoiser`` on the residual target z − x_t Lᵀ, so a hand-written
    ``grads`` carries over unchanged. With L the best linear predictor (synthetic.
    wiener_noise_map) the sum starts at the linear loss whatever the network, and any loss
    below it is phase information (docs/science.md §12.3).
    """
    Lt = L.transpose(-1, -2)  # (N, N) for every run, or (R, N, N) one per run
    out = SimpleNamespace(forward=lambda p, x: denoiser.forward(p, x) + x @ Lt.to(x))
    if hasattr(denoiser, "grads"):
        out.grads = lambda p, xt, z: denoiser.grads(p, xt, z - xt @ Lt.to(xt))
    return out


def synthetic_sets(runs, N: int, spec: dict, device):
    """Held-out sets and training streams of the runs [(alpha, seed), ...] of one N.

    Returns (tests, sources, noises): tests holds "data", "clone" and the shared noise "z",
    each (R, eval_samples, N) float32 on ``device``; sources[r](n) draws run r's next n
    clean signals; noises[r] is run r's noise generator. Runs differing only in α share
    their spike positions, noise and (through the caller) initial weights.
    """
    def draw(kind, alpha, gen):
        return lambda n: synthetic.sample(kind, n, N, alpha, spec["density"], spec["signs"], gen).float()

    n = spec["eval_samples"]
    tests = {k: torch.stack([draw(k, a, streams.generator(s, "fourier", "test", k, N))(n)
                             for a, s in runs]).to(device) for k in synthetic.KINDS}
    tests["z"] = torch.stack([torch.randn(n, N, generator=streams.generator(s, "fourier", "test_z", N))
                              for _, s in runs]).to(device)
    sources = [draw("data", a, streams.generator(s, "fourier", "data", N)) for a, s in runs]
    return tests, sources, [streams.generator(s, "fourier", "noise", N) for _, s in runs]
