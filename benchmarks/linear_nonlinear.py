"""Speed of the lockstep MLP trainer of the linear stage (easy2hard.linear.nonlinear) on
Gaussian data, in this process (one JSON line).

Setting: the default cell of config/config.yaml (linear.nonlinear): d = 16, width 128,
batch 64, T = 1000, R = 21 runs (7 N × 3 seeds) in lockstep; and one run alone, to show what
lockstep buys. Rates are optimiser steps per second of the whole lockstep batch and run-steps
per second (runs × steps / wall time), single-threaded, after a short warm-up; the sampler's
rate is DDPM steps per second for 1000 samples per run.

    .venv/bin/python benchmarks/linear_nonlinear.py [--steps 200] [--threads 1]
"""

import argparse
import json
import time

import torch

from easy2hard.core import ddpm
from easy2hard.linear import denoiser, nonlinear, sweep, targets


def measure(runs, target, t, steps: int) -> float:
    data = [target.training_set(N, s) for N, s in runs]
    st = nonlinear.Settings(steps=steps)
    nonlinear.train(data, runs, t, nonlinear.Settings(steps=5, chunk=5))  # warm-up
    t0 = time.perf_counter()
    nonlinear.train(data, runs, t, st)
    return steps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    d = 16
    target = targets.build("power_law", d, 1.0)
    t = denoiser.terms(ddpm.Schedule(T=1000, beta_min=1e-4, beta_max=1e-2))
    runs = [(N, s) for N in sweep.sizes(d, [0.25, 0.5, 1, 2, 4, 8, 32]) for s in range(3)]
    lock = measure(runs, target, t, args.steps)
    alone = measure(runs[-1:], target, t, args.steps)
    params = nonlinear.init_params(runs, d, 128, ("bench",), "cpu")
    t0 = time.perf_counter()
    nonlinear.sample(params, runs, denoiser.terms(ddpm.Schedule(T=50)), 1000, d)
    sample_rate = 50 / (time.perf_counter() - t0)
    print(json.dumps({
        "benchmark": "linear_nonlinear", "d": d, "width": 128, "batch": 64, "runs": len(runs),
        "threads": args.threads, "lockstep_steps_per_s": round(lock, 1),
        "lockstep_run_steps_per_s": round(lock * len(runs), 1),
        "single_run_steps_per_s": round(alone, 1),
        "sampler_steps_per_s_1000_samples_per_run": round(sample_rate, 1)}))


if __name__ == "__main__":
    main()
