"""Online training of the wide and deep MCM denoisers, R runs in lockstep (SCIENCE §4-5).

A run is (seed, activation, t, lr). Every run owns its random streams (easy2hard.core.streams),
seeded from its seed only: the MCM batches, the noise z, the initial weights and the test
sets are the same whether the run trains alone or beside any companions, and runs that
differ only in activation, t or lr see the same data (common random numbers).

Each step draws a fresh batch x_0 (B, N) from the MCM and z ~ N(0, I) per run, forms
x_t = e^{-t} x_0 + sqrt(Δ_t) z and takes one optimiser step on the noise-prediction loss
mean_{B,N} (ε(x_t) - z)² (the DDPM loss at fixed t). The summed loss over runs has, for
each run, exactly that run's gradient, and the optimisers are elementwise, so the R runs
are R independent trainings.

At log-spaced steps it records the overlaps with u and v, the skip coefficient a and the
test loss on a fixed set of fresh MCM samples and on the mean and mean+cov clones, drawn
with common random numbers (the same base normals and the same z for the three sets).
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import pandas as pd
import torch

from ..core import mixed_cumulant as mcm_lib
from ..core import streams
from ..core.diffusion import delta
from . import models as networks

OPTIMIZERS = ("adam", "sgd")
log = logging.getLogger(__name__)


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


def log_steps(steps: int, points: int) -> list[int]:
    """0 and about ``points`` log-spaced steps in [1, steps], always including ``steps``."""
    grid = np.unique(np.round(np.geomspace(1, max(steps, 1), points)).astype(int))
    return [0] + [int(s) for s in grid if s <= steps] if steps > 0 else [0]


def run_spikes(N: int, seed: int, kind: str):
    """(u, v, mean direction) of one run: coordinate axes, or random from the run's seed."""
    return mcm_lib.spikes(N, kind, streams.generator(seed, "networks", "spikes", N))


def test_sets(data: mcm_lib.MCM, u, v, mdir, n: int, seed: int):
    """(x_mcm, x_mean_clone, x_meancov_clone, z), each (n, N), with common random numbers.

    The three x sets start from the same generator state, so they share their base
    normals (the MCM's bulk g and the clones' standard normals); z is shared by all three.
    """
    g = streams.generator(seed, "networks", "test", data.N)
    state = g.get_state()
    mean, cov = mcm_lib.moments(data, u, v, mdir)
    sets = []
    for kind in ("mcm", "mean", "meancov"):
        g.set_state(state)
        if kind == "mcm":
            sets.append(mcm_lib.sample(data, n, u, v, mdir, g))
        else:
            sets.append(mcm_lib.clone_sampler(kind, mean, cov)(n, g))
    z = torch.randn(n, data.N, generator=streams.generator(seed, "networks", "test_z", data.N))
    return (*sets, z)


def noised_into(xt: torch.Tensor, z: torch.Tensor, data: mcm_lib.MCM, basis: torch.Tensor,
                t: float, g, target: str = "sampled"):
    """Fill x_t and the regression target for the noise, both (n, N), for one run.

    ``sampled``: x_0 from the MCM (as mcm.sample), z ~ N(0, I), x_t = e^{-t} x_0 + sqrt(Δ_t) z.
    ``conditional``: the target is E[z | y, λ, ν] instead of z (Rao-Blackwellised), where
    y = e^{-t} S g + sqrt(Δ_t) z is the Gaussian part of x_t. Its covariance is I but V_t =
    e^{-2t} s² + Δ_t along v, so y = ξ + (sqrt(V_t) - 1) <ξ, v> v from ξ ~ N(0, I), and
    E[z | y] = sqrt(Δ_t) (ξ + (V_t^{-1/2} - 1) <ξ, v> v). Since ε depends on x_t only, the
    loss gradient has the same expectation as with z, with lower variance and half the
    normal draws.
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


def train(arch: networks.Arch, runs: list[dict], data: mcm_lib.MCM, *, steps: int,
          batch: int, optimizer: str = "adam", log_points: int = 30, eval_samples: int = 1000,
          spikes: str = "axes", w_init_var: float = 0.01, a_init: float = 1.0,
          a_trainable: bool = True, chunk: int = 32, device=None,
          dtype=torch.float32, autograd: bool = False,
          target: str = "sampled") -> pd.DataFrame:
    """Train ``runs`` (dicts with seed, activation, t, lr) in lockstep; return the log table.

    One row per run and logged step: the run's keys plus step, n = step * batch, overlap_u,
    overlap_v, a, loss_mcm, loss_mean_clone, loss_meancov_clone. ``chunk`` (steps of data
    drawn per generator call) is part of a run's random stream: keep it fixed to reproduce.
    The autoencoder uses its hand-written backward pass unless ``autograd``. ``target``:
    the noise regressed on, ``sampled`` z or its ``conditional`` expectation (noised_into).
    """
    device = torch.device(device or "cpu")
    R, N = len(runs), arch.N
    seeds = [int(r["seed"]) for r in runs]
    groups = networks.activation_groups([r["activation"] for r in runs])
    t = torch.tensor([float(r["t"]) for r in runs], dtype=dtype, device=device)
    lr = torch.tensor([float(r["lr"]) for r in runs], dtype=dtype, device=device)
    decay, sd = torch.exp(-t)[:, None, None], torch.sqrt(delta(t))[:, None, None]

    dirs = [run_spikes(N, s, spikes) for s in seeds]
    u, v, mdir = (torch.stack(d).to(device=device, dtype=dtype) for d in zip(*dirs))
    params = networks.init(arch, [streams.generator(s, "networks", "init", N, arch.m)
                                  for s in seeds], w_init_var, a_init, dtype, device)
    trainable = [p for k, p in params.items() if k != "a" or a_trainable]
    for p in trainable:
        p.requires_grad_(True)
    opt = make_optimizer(trainable, lr, optimizer)
    manual = arch.model == "autoencoder" and not autograd

    sets = [test_sets(data, *d, eval_samples, s) for d, s in zip(dirs, seeds)] if eval_samples else []
    sets = [torch.stack(x).to(device=device, dtype=dtype) for x in zip(*sets)]

    @torch.no_grad()
    def record(step):
        W = params["W"]
        row = {"step": step, "n": step * batch,
               "overlap_u": networks.overlap(W, u), "overlap_v": networks.overlap(W, v),
               "a": params["a"]}
        for name, x0 in zip(("loss_mcm", "loss_mean_clone", "loss_meancov_clone"), sets[:3]):
            z = sets[3]
            err = networks.forward(arch, params, decay * x0 + sd * z, groups, t) - z
            row[name] = err.square().mean((1, 2))
        return {k: (v.detach().cpu().clone().numpy() if torch.is_tensor(v) else np.full(R, v))
                for k, v in row.items()}

    gens = [streams.generator(s, "networks", "data", N) for s in seeds]
    bases = [torch.stack(d) for d in dirs]
    marks = set(log_steps(steps, log_points))
    rows, step, t0 = [record(0)], 0, time.perf_counter()
    buf = torch.empty(R, 2, chunk, batch, N)  # run r's x_t and z: contiguous per run
    while step < steps:
        c = min(chunk, steps - step)
        for r in range(R):  # each run from its own stream, in the order of mcm.sample
            noised_into(buf[r, 0, :c].view(c * batch, N), buf[r, 1, :c].view(c * batch, N),
                        data, bases[r], float(runs[r]["t"]), gens[r], target)
        dev = buf[:, :, :c].to(device=device, dtype=dtype)
        xt = dev[:, 0]
        for i in range(c):
            opt.zero_grad()
            if manual:
                grads = networks.autoencoder_grads(params, xt[:, i], dev[:, 1, i], groups, t)
                for k, p in params.items():
                    if p.requires_grad:
                        p.grad = grads[k]
            else:
                eps = networks.forward(arch, params, xt[:, i], groups, t)
                (eps - dev[:, 1, i]).square().mean((1, 2)).sum().backward()
            opt.step()
            step += 1
            if step in marks:
                rows.append(record(step))
                log.info("step %d/%d (%.1f steps/s): overlap_v %s", step, steps,
                         step / (time.perf_counter() - t0),
                         np.array2string(rows[-1]["overlap_v"], precision=2))
    meta = pd.DataFrame(runs)
    out = []
    for row in rows:
        df = meta.copy()
        for k, val in row.items():
            df[k] = val
        out.append(df)
    return pd.concat(out, ignore_index=True)
