"""Speed of the lockstep MCM engine against a naive one-run loop (one JSON line).

Setting (issue 2): N = 128, pSGD, matched activation σ*, batch 1, Rademacher cumulant
spike (β_v = inf), t = 0.3, z integrated out. The engine advances R runs in lockstep; the
naive loop trains one run with one sample per step and plain torch ops per step
(mcm.sample + one_neuron.grad_integrated + projection). Both are timed in this process.

    .venv/bin/python benchmarks/mcm_engine.py [--runs 512] [--steps 2000] [--threads 1]
"""

import argparse
import json
import math
import time

import torch

from easy2hard.core import mixed_cumulant as mcm
from easy2hard.mcm import one_neuron
from easy2hard.core import streams
from easy2hard.mcm.engine import Cell, Run, train


def naive(N: int, steps: int, t: float, lr: float) -> float:
    model = mcm.MCM(N=N, beta_u=0.0, beta_v=math.inf, latent="rademacher")
    u, v, m = mcm.spikes(N)
    gen = streams.generator(0, "naive")
    w = torch.randn(N, generator=gen)
    w /= w.norm()
    start = time.perf_counter()
    for _ in range(steps):
        x = mcm.sample(model, 1, u, v, m, generator=gen)
        g = one_neuron.grad_integrated(w, x, "sigma_star", t, math.inf)
        g = g - (g @ w) * w
        w = w - lr * g
        w = w / w.norm()
    return steps / (time.perf_counter() - start)


def engine(N: int, runs: int, steps: int, t: float, lr: float) -> float:
    cell = Cell(N=N, steps=steps, log_points=2)
    rs = [Run(seed=s, activation="sigma_star", projection="sphere", t=t, lr=lr) for s in range(runs)]
    train(cell, rs[:2], chunk_samples=256)  # warm-up (tables, allocator)
    start = time.perf_counter()
    train(cell, rs)
    return runs * steps / (time.perf_counter() - start)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--N", type=int, default=128)
    p.add_argument("--runs", type=int, default=512)
    p.add_argument("--steps", type=int, default=2048)
    p.add_argument("--naive-steps", type=int, default=2000)
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    t, lr = 0.3, 0.01 * (a.N / 32) ** -3
    naive_sps = naive(a.N, a.naive_steps, t, lr)
    engine_sps = engine(a.N, a.runs, a.steps, t, lr)
    print(json.dumps({"benchmark": "mcm_engine", "N": a.N, "runs": a.runs, "steps": a.steps,
                      "threads": a.threads, "device": "cpu",
                      "engine_samples_per_s": round(engine_sps),
                      "naive_samples_per_s": round(naive_sps),
                      "speedup_vs_naive": round(engine_sps / naive_sps, 1)}))


if __name__ == "__main__":
    main()
