"""Online training of the wide and deep denoisers, R runs in lockstep (docs/science.md §5.1, §5.9-5.11).

A run is a ``lockstep.Run`` (seed, activation, t, lr). Every run owns its random streams
(easy2hard.core.streams), seeded from its seed only: the training batches, the noise z, the
initial weights and the test sets are the same whether the run trains alone or beside any
companions, and runs that differ only in activation, t or lr see the same data (common
random numbers).

The data come from a ``DataSource``: an object that fills run r's next training batch from
run r's own generator and holds the fixed test sets. ``MCMSource`` is the mixed cumulant
model (with its ``mean_iso`` and ``meancov`` clones as test sets); another stage can pass
its own source (for example synthetic signals) and train the same networks.

Each step draws a fresh batch x_0 (B, N) and z ~ N(0, I) per run, forms
x_t = e^{-t} x_0 + sqrt(Δ_t) z and takes one optimiser step on the noise-prediction loss
mean_{B,N} (ε(x_t) - z)² (the DDPM loss at fixed t). The summed loss over runs has, for
each run, exactly that run's gradient, and the optimisers are elementwise, so the R runs
are R independent trainings.

At log-spaced steps it records the overlaps of the first layer with the source's
directions (u and v for the MCM), the skip coefficient a and the test loss on each of the
source's test sets, all noised with one shared z (common random numbers) at ``eval_t``.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
import torch

from ..core import lockstep
from ..core import mixed_cumulant as mcm_lib
from ..core import streams
from ..core.diffusion import delta
from ..core.lockstep import Run  # noqa: F401  (the run type of this trainer)
from ..core.progress import Progress
from . import models as networks

OUTPUT_BIAS = ("trainable", "none")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    """Settings shared by every run of one lockstep computation (all required).

    ``output_bias``: ``trainable`` or ``none`` (the output bias b stays 0); ``c_time``: the
    time at which the autoencoder's input scale c is computed (None: each run's t);
    ``eval_t``: the time at which the test losses are evaluated (None: each run's t).
    ``chunk`` (steps of data drawn per generator call) is part of a run's random stream.
    """

    steps: int
    batch: int
    optimizer: str
    log_points: int
    eval_samples: int
    w_init_var: float
    a_init: float
    a_trainable: bool
    chunk: int
    output_bias: str
    c_time: float | None
    eval_t: float | None

    def __post_init__(self):
        if self.output_bias not in OUTPUT_BIAS:
            raise ValueError(f"unknown output_bias {self.output_bias!r}; allowed: {', '.join(OUTPUT_BIAS)}")

    @classmethod
    def from_spec(cls, spec: dict) -> "Settings":
        """The settings of a validated sweep spec (the schema has filled every default)."""
        return cls(**{f.name: spec[f.name] for f in fields(cls)})


class DataSource:
    """Training batches and test sets of R runs, each drawn from the run's own generators.

    A subclass sets ``N`` and ``gens`` (one torch.Generator per run) and implements
    ``sample``; ``test_sets`` and ``directions`` give the logged test losses and overlaps.
    ``noised`` draws x_0 and then z from the run's generator (override it for another
    regression target).
    """

    N: int
    gens: list

    def sample(self, r: int, out: torch.Tensor) -> None:
        """Fill ``out`` (n, N) with run r's next n clean samples."""
        raise NotImplementedError

    def noised(self, r: int, t: float, xt: torch.Tensor, z: torch.Tensor) -> None:
        """Fill x_t = e^{-t} x_0 + sqrt(Δ_t) z into ``xt`` and the target z into ``z``."""
        self.sample(r, xt)
        z.normal_(generator=self.gens[r])
        xt.mul_(math.exp(-t)).add_(z, alpha=math.sqrt(delta(t)))

    def test_sets(self, n: int) -> tuple[dict, torch.Tensor]:
        """({name: clean set (R, n, N)}, shared noise z (R, n, N)); columns loss_{name}."""
        return {}, torch.zeros(len(self.gens), n, self.N)

    def directions(self) -> dict:
        """{name: unit vectors (R, N)}: the first layer's overlap_{name} is logged."""
        return {}


class MCMSource(DataSource):
    """The MCM ``model`` for runs with the given seeds: spikes from each run's seed
    (``spikes``: axes or random), batches from its data stream, ``target`` sampled or
    conditional (noised_into), test sets of the MCM and its mean_iso and meancov clones."""

    def __init__(self, model: mcm_lib.MCM, seeds: list[int], spikes: str, target: str):
        self.model, self.N, self.seeds, self.target = model, model.N, list(seeds), target
        self.bases = [torch.stack(lockstep.spike_basis(model.N, s, spikes, "networks", "spikes"))
                      for s in self.seeds]
        self.gens = [streams.generator(s, "networks", "data", model.N) for s in self.seeds]

    def sample(self, r, out):
        mcm_lib.sample(self.model, out.shape[0], *self.bases[r], generator=self.gens[r], out=out)

    def noised(self, r, t, xt, z):
        noised_into(xt, z, self.model, self.bases[r], t, self.gens[r], self.target)

    def test_sets(self, n):
        sets = [lockstep.clone_test_sets(self.model, b, n, s, "networks", "test")
                for b, s in zip(self.bases, self.seeds)]
        z = [torch.randn(n, self.N, generator=streams.generator(s, "networks", "test_z", self.N))
             for s in self.seeds]
        return {k: torch.stack([x[k] for x in sets]) for k in sets[0]}, torch.stack(z)

    def directions(self):
        return {"u": torch.stack([b[0] for b in self.bases]),
                "v": torch.stack([b[1] for b in self.bases])}


def noised_into(xt: torch.Tensor, z: torch.Tensor, data: mcm_lib.MCM, basis: torch.Tensor,
                t: float, g, target: str):
    """Fill x_t and the regression target for the noise, both (n, N), for one run.

    ``sampled``: x_0 from the MCM (as mcm.sample), z ~ N(0, I), x_t = e^{-t} x_0 + sqrt(Δ_t) z.
    ``conditional``: the target is E[z | y, λ, ν] instead of z (Rao-Blackwellised), where
    y = e^{-t} S g + sqrt(Δ_t) z is the Gaussian part of x_t. Its covariance is I but V_t =
    e^{-2t} s² + Δ_t along v, so y = ξ + (sqrt(V_t) - 1) <ξ, v> v from ξ ~ N(0, I), and
    E[z | y] = sqrt(Δ_t) (ξ + (V_t^{-1/2} - 1) <ξ, v> v). Since ε depends on x_t only, the
    loss gradient has the same expectation as with z, with lower variance and half the
    normal draws (docs/science.md §5.10).
    """
    decay, sd = math.exp(-t), math.sqrt(delta(t))
    n = xt.shape[0]
    if target == "sampled":
        mcm_lib.sample(data, n, *basis, generator=g, out=xt)
        z.normal_(generator=g)
        return xt.mul_(decay).add_(z, alpha=sd), z
    if target != "conditional":
        raise ValueError(f"unknown noise target {target!r}; allowed: sampled, conditional")
    z.normal_(generator=g)  # ξ
    lam = torch.randn(n, generator=g)
    root_v = math.sqrt(decay**2 * data.s**2 + delta(t))
    xi_v = z @ basis[1]
    coef = torch.stack([decay * math.sqrt(data.beta_u) * lam,
                        decay * data.a * mcm_lib.nu(data, lam, g) + (root_v - 1) * xi_v,
                        torch.full((n,), decay * float(data.mean_shift))], dim=1)
    torch.addmm(z, coef.to(z), basis, out=xt)
    z.addmm_(((1 / root_v - 1) * xi_v)[:, None], basis[1:2], beta=sd, alpha=sd)
    return xt, z


class Trainer:
    """R runs of one architecture on one data source, advancing in lockstep."""

    def __init__(self, arch: networks.Arch, runs: list, source: DataSource, settings: Settings,
                 device, dtype, autograd: bool):
        self.arch, self.runs, self.source, self.s = arch, runs, source, settings
        self.device, self.dtype, R = device, dtype, len(runs)
        col = lambda xs: torch.tensor(xs, dtype=dtype, device=device)  # noqa: E731
        self.groups = networks.activation_groups([r.activation for r in runs])
        self.t, lr = col([float(r.t) for r in runs]), col([float(r.lr) for r in runs])
        self.c = None if settings.c_time is None else networks.c_of_t(col([settings.c_time] * R))
        t_eval = self.t if settings.eval_t is None else col([settings.eval_t] * R)
        self.decay, self.sd = torch.exp(-t_eval)[:, None, None], torch.sqrt(delta(t_eval))[:, None, None]
        self.dirs = {k: d.to(device=device, dtype=dtype) for k, d in source.directions().items()}
        gens = [streams.generator(r.seed, "networks", "init", arch.N, arch.m) for r in runs]
        self.params = networks.init(arch, gens, settings.w_init_var, settings.a_init, dtype, device)
        frozen = {"a"} if not settings.a_trainable else set()
        frozen |= {"b"} if settings.output_bias == "none" else set()
        trainable = [p.requires_grad_(True) for k, p in self.params.items() if k not in frozen]
        self.opt = lockstep.make_optimizer(trainable, lr, settings.optimizer)
        self.manual = arch.model == "autoencoder" and not autograd
        sets, z = source.test_sets(settings.eval_samples) if settings.eval_samples else ({}, None)
        self.sets = {k: x.to(device=device, dtype=dtype) for k, x in sets.items()}
        self.z = None if z is None else z.to(device=device, dtype=dtype)

    @torch.no_grad()
    def record(self, step: int) -> dict:
        """Overlaps, skip coefficient a and test losses of every run at ``step``."""
        W, B = self.params["W"], self.s.batch
        row = {"step": step, "n": step * B,
               **{f"overlap_{k}": networks.overlap(W, d) for k, d in self.dirs.items()},
               "a": self.params["a"]}
        for name, x0 in self.sets.items():
            eps = networks.forward(self.arch, self.params, self.decay * x0 + self.sd * self.z,
                                   self.groups, self.t, self.c)
            row[f"loss_{name}"] = (eps - self.z).square().mean((1, 2))
        return {k: (v.detach().cpu().clone().numpy() if torch.is_tensor(v) else v)
                for k, v in row.items()}

    def step(self, xt: torch.Tensor, z: torch.Tensor) -> None:
        """One optimiser step of every run on its batch xt, z (R, B, N)."""
        self.opt.zero_grad()
        if self.manual:
            grads = networks.autoencoder_grads(self.params, xt, z, self.groups, self.t, c=self.c)
            for k, p in self.params.items():
                if p.requires_grad:
                    p.grad = grads[k]
        else:
            eps = networks.forward(self.arch, self.params, xt, self.groups, self.t, self.c)
            (eps - z).square().mean((1, 2)).sum().backward()
        self.opt.step()

    def run(self) -> pd.DataFrame:
        """Train every run for ``steps`` steps; the log table (one row per run and logged step)."""
        s, R, N = self.s, len(self.runs), self.arch.N
        marks = set(lockstep.log_steps(s.steps, s.log_points))
        rows, step, t0 = [self.record(0)], 0, time.perf_counter()
        progress = Progress(s.steps, log, what="steps")
        buf = torch.empty(R, 2, s.chunk, s.batch, N)  # run r's x_t and z: contiguous per run
        while step < s.steps:
            c = min(s.chunk, s.steps - step)
            for r in range(R):  # each run from its own stream
                self.source.noised(r, float(self.runs[r].t), buf[r, 0, :c].view(c * s.batch, N),
                                   buf[r, 1, :c].view(c * s.batch, N))
            dev = buf[:, :, :c].to(device=self.device, dtype=self.dtype)
            for i in range(c):
                self.step(dev[:, 0, i], dev[:, 1, i])
                step += 1
                if step in marks:
                    rows.append(self.record(step))
                    log.info("step %d/%d (%.1f steps/s): %s", step, s.steps,
                             step / (time.perf_counter() - t0),
                             np.array2string(rows[-1].get("overlap_v", rows[-1]["a"]), precision=2))
                progress.update(step)
        progress.finish()
        return lockstep.assemble(lockstep.labels(self.runs), rows)


def train(arch: networks.Arch, runs: list, source: DataSource, settings: Settings, *,
          device=None, dtype=torch.float32, autograd: bool = False) -> pd.DataFrame:
    """Train ``runs`` (lockstep.Run) on ``source`` in lockstep; return the log table.

    One row per run and logged step: the run's fields, then step, n = step * batch,
    overlap_{name} per source direction (overlap_u, overlap_v for the MCM), a, and
    loss_{name} per test set (loss_mcm, loss_mean_iso_clone, loss_meancov_clone for the
    MCM). The autoencoder uses its hand-written backward pass unless ``autograd``.
    """
    device = torch.device(device or "cpu")
    return Trainer(arch, runs, source, settings, device, dtype, autograd).run()
