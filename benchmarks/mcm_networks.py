"""Aggregate optimizer steps/s of the wide tied autoencoder on the MCM: lockstep vs per run.

N = 100, m = 100, batch 100, Adam, ReLU, R runs (seeds). Three ways to train them:

- lockstep: easy2hard.networks.training.train with all R runs, one batched computation;
- per_run_loop: a plain per-run loop, one run after the other, as one would write it for a
  single run: W, a, b with autograd, torch.optim.Adam, and each step a fresh batch from
  easy2hard.core.mixed_cumulant.sample plus z from torch.randn;
- per_run_engine: the lockstep engine called with one run at a time (isolates the gain
  from batching alone; the engine's fused backward and chunked draws help both sides).

Both sides use all cores (torch's default thread count; set OMP_NUM_THREADS to change).
Prints one JSON line; the last keys are ratios measured in this run.

    .venv/bin/python benchmarks/mcm_networks.py [--runs 16] [--steps 200] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time

import torch

from easy2hard.core import mixed_cumulant as mcm
from easy2hard.networks import training as network_training
from easy2hard.networks import models as networks
from easy2hard.core import streams
from easy2hard.core.diffusion import delta
from easy2hard.core.lockstep import Run
from easy2hard.pipeline import config


def lockstep(arch, runs, data, steps, target="sampled"):
    # The schema's defaults for a sweep, with this benchmark's steps and no test sets.
    spec = config.validate({"networks": {"sweeps": {"bench": {"N": [arch.N], "seeds": [0]}}}})
    settings = network_training.Settings.from_spec(
        {**spec["networks"]["sweeps"]["bench"], "steps": steps, "batch": 100,
         "optimizer": "adam", "log_points": 2, "eval_samples": 0})
    t0 = time.perf_counter()
    source = network_training.MCMSource(data, [r.seed for r in runs], "axes", target)
    network_training.train(arch, runs, source, settings)
    return len(runs) * steps / (time.perf_counter() - t0)


def plain_run(N, m, seed, data, steps, batch=100, t=0.1, lr=1e-3):
    """One run, written plainly: autograd, torch.optim.Adam, a fresh batch every step."""
    g = streams.generator(seed, "bench")
    u, v, md = mcm.spikes(N)
    W = (torch.randn(m, N, generator=g) * math.sqrt(0.01 / N)).requires_grad_()
    a = torch.ones(()).requires_grad_()
    b = torch.zeros(N).requires_grad_()
    opt = torch.optim.Adam([W, a, b], lr=lr)
    c, decay, sd = math.exp(-t) / math.sqrt(delta(t)), math.exp(-t), math.sqrt(delta(t))
    for _ in range(steps):
        x0 = mcm.sample(data, batch, u, v, md, g)
        z = torch.randn(batch, N, generator=g)
        xt = decay * x0 + sd * z
        eps = a * xt + torch.relu(c * xt @ W.T) @ W + b
        loss = (eps - z).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=16)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--N", type=int, default=100)
    ap.add_argument("--m", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    N, m, R, steps = args.N, args.m, args.runs, args.steps
    arch = networks.Arch("autoencoder", N, m)
    data = mcm.MCM(N=N, beta_u=9.0, mean_shift=1.0)
    runs = [Run(seed=s, activation="relu", t=0.1, lr=1e-3) for s in range(R)]
    lockstep(arch, runs[:2], data, 20)  # warm-up
    plain_run(N, m, 0, data, 20)

    def per_run_loop():
        t0 = time.perf_counter()
        for s in range(R):
            plain_run(N, m, s, data, steps)
        return R * steps / (time.perf_counter() - t0)

    def per_run_engine():
        t0 = time.perf_counter()
        for run in runs:
            lockstep(arch, [run], data, steps)
        return R * steps / (time.perf_counter() - t0)

    # Interleaved repeats, best of each: the machine is shared, so the best is the least
    # disturbed measurement of each side.
    best = {}
    for _ in range(args.repeats):
        for name, f in (("lockstep", lambda: lockstep(arch, runs, data, steps)),
                        ("lockstep_conditional",
                         lambda: lockstep(arch, runs, data, steps, "conditional")),
                        ("per_run_loop", per_run_loop), ("per_run_engine", per_run_engine)):
            best[name] = max(best.get(name, 0.0), f())
    fast, cond = best["lockstep"], best["lockstep_conditional"]
    plain, engine = best["per_run_loop"], best["per_run_engine"]
    print(json.dumps({
        "benchmark": "mcm_networks", "model": "autoencoder", "N": N, "m": m, "batch": 100,
        "optimizer": "adam", "R": R, "steps": steps, "repeats": args.repeats, "threads": torch.get_num_threads(),
        "cpus": os.cpu_count(), "device": "cpu",
        "lockstep_steps_per_s": round(fast, 1),
        "per_run_loop_steps_per_s": round(plain, 1),
        "per_run_engine_steps_per_s": round(engine, 1),
        "lockstep_conditional_steps_per_s": round(cond, 1),
        "ratio_lockstep_over_per_run_loop": round(fast / plain, 2),
        "ratio_lockstep_over_per_run_engine": round(fast / engine, 2),
        "ratio_lockstep_conditional_over_per_run_loop": round(cond / plain, 2),
    }))


if __name__ == "__main__":
    main()
