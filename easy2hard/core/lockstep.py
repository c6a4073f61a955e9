"""Shared machinery of every batched trainer: runs that advance in lockstep (docs/science.md §5.1).

R runs train as one computation: every tensor has a leading run dimension, every run owns
its random streams (core/streams.py), and the optimisers are elementwise, so the R runs are
R independent trainings. This module holds the pieces such trainers share:

- ``Run``: the settings of one run (a frozen dataclass; trainers with more per-run settings
  use their own dataclass, and ``labels`` turns any of them into table columns);
- ``log_steps`` (step 0 and log-spaced logged steps) and ``checkpoint_steps``;
- ``groups``: contiguous runs that share a key (one activation call per group);
- ``spike_basis``: the spikes (u, v, mean direction) of a run, from its seed and stream tags;
- ``clone_test_sets``: held-out samples of the MCM and of its clones (core/clones.py) with
  common random numbers;
- ``Optimizer`` / ``make_optimizer``: Adam and SGD on stacked parameters, lr per run;
- ``labels`` / ``assemble``: the tidy table, one row per run and logged step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import torch

from . import mixed_cumulant as mcm
from . import streams
from .lockstep_tables import checkpoint_steps, labels, log_steps  # noqa: F401

OPTIMIZERS = ("adam", "sgd")


@dataclass(frozen=True)
class Run:
    """One run of a network trainer: its seed, activation, diffusion time and learning rate."""

    seed: int
    activation: str
    t: float
    lr: float


def groups(keys, start: int = 0) -> list[tuple]:
    """[(key, slice), ...]: maximal blocks of equal consecutive ``keys``, offset by ``start``."""
    out, first = [], 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[first]:
            out.append((keys[first], slice(start + first, start + i)))
            first = i
    return out


def spike_basis(N: int, seed: int, kind: str, *tags):
    """(u, v, mean direction) of one run: coordinate axes, or random from the stream
    (seed, *tags, N). Each trainer keeps its own tags (its results depend on them)."""
    return mcm.spikes(N, kind, streams.generator(seed, *tags, N))


def clone_test_sets(model: mcm.MCM, basis, n: int, seed: int, *tags) -> dict:
    """Held-out sets {"mcm", "mean_iso_clone", "meancov_clone"}, each (n, N), of the MCM and
    of its ``mean_iso`` and ``meancov`` clones, with common random numbers: every set is drawn
    by a fresh generator of the stream (seed, *tags, N), so they share their base normals."""
    mean, cov = mcm.moments(model, *basis)

    def gen():
        return streams.generator(seed, *tags, model.N)

    return {"mcm": mcm.sample(model, n, *basis, generator=gen()),
            "mean_iso_clone": mcm.clone_sampler("mean_iso", mean, cov)(n, gen()),
            "meancov_clone": mcm.clone_sampler("meancov", mean, cov)(n, gen())}


class Optimizer:
    """Adam or SGD on stacked parameters with a learning rate per run.

    Adam is torch.optim.Adam's update (no weight decay, no amsgrad) applied elementwise,
    so it is R independent Adams; ``lr`` (R,) may differ between runs.
    """

    def __init__(self, params, lr, kind="adam", betas=(0.9, 0.999), eps=1e-8):
        if kind not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {kind!r}; allowed: {', '.join(OPTIMIZERS)}")
        self.params, self.kind, self.betas, self.eps, self.k = list(params), kind, betas, eps, 0
        lr = torch.as_tensor(lr, dtype=self.params[0].dtype, device=self.params[0].device)
        self.lr = [lr.reshape((-1,) + (1,) * (p.dim() - 1)) for p in self.params]
        if kind == "adam":
            self.m = [torch.zeros_like(p) for p in self.params]
            self.v = [torch.zeros_like(p) for p in self.params]

    @torch.no_grad()
    def step(self):
        self.k += 1
        if self.kind == "sgd":
            for p, lr in zip(self.params, self.lr):
                p.sub_(lr * p.grad)
            return
        b1, b2 = self.betas
        bc1, bc2 = 1 - b1**self.k, 1 - b2**self.k
        for p, lr, m, v in zip(self.params, self.lr, self.m, self.v):
            g = p.grad
            m.lerp_(g, 1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v.sqrt() / math.sqrt(bc2)).add_(self.eps)
            p.sub_((lr / bc1) * m / denom)

    def zero_grad(self):
        for p in self.params:
            p.grad = None


def make_optimizer(params, lr: torch.Tensor, kind: str):
    """torch.optim.Adam / SGD (fused kernels) when every run has the same lr, else Optimizer.

    Both are elementwise, so on stacked parameters they are R independent optimisers.
    """
    if kind in OPTIMIZERS and bool((lr == lr[0]).all()):
        fused = {"fused": True} if params[0].device.type in ("cpu", "cuda") else {}
        if kind == "adam":
            return torch.optim.Adam(params, lr=float(lr[0]), **fused)
        return torch.optim.SGD(params, lr=float(lr[0]), **fused)
    return Optimizer(params, lr, kind)


def assemble(labels: pd.DataFrame, records: list[dict]) -> pd.DataFrame:
    """The log table: for each record (a logged step) one copy of ``labels`` with the
    record's columns appended in order (scalars broadcast, arrays one value per run)."""
    frames = []
    for rec in records:
        df = labels.copy()
        for key, value in rec.items():
            df[key] = value
        frames.append(df)
    return pd.concat(frames, ignore_index=True)
