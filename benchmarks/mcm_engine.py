"""Speed of the reduced one-neuron simulator against the full lockstep engine and a naive
one-run loop, all measured in this process (one JSON line).

Setting: pSGD, matched activation σ*, batch 1, Rademacher cumulant spike (β_v = inf), t = 0.3,
z integrated out, lr = 0.01 (N/32)^-3. Rates are samples per second (runs × steps / wall time),
single-threaded (numba and torch), after a warm-up call (numba's compilation is cached on disk);
``reduced_samples_per_cpu_s``: the reduced engine's samples per CPU-second of this process.
The reduced engine runs at N = 128 and N = 4096 with 16 runs (a real sweep cell) and 1024
runs; the full engine at the same points (fewer steps) but for 1024 runs at N = 4096 (out of
memory, see below); the naive loop (mcm.sample +
one_neuron.grad_integrated + projection per sample, one run) at N = 128.
``progress_overhead``: the reduced engine at N = 128, 16 runs, stopping every 2^18 samples (16
times more often than the default 2^22) to update a Progress (a line every 10 s), against one
uninterrupted call per log interval; the relative slowdown (best of three each).

    .venv/bin/python benchmarks/mcm_engine.py [--scale 1.0]
"""

import argparse
import json
import logging
import math
import sys
import time

import torch

from easy2hard.core import mixed_cumulant as mcm
from easy2hard.core import streams
from easy2hard.core.progress import Progress
from easy2hard.mcm import engine, one_neuron, reduced
from easy2hard.mcm.engine import Cell, NeuronRun

T = 0.3


def lr(N: int) -> float:
    return 0.01 * (N / 32) ** -3


def naive(N: int, steps: int) -> float:
    model = mcm.MCM(N=N, beta_u=0.0, beta_v=math.inf, latent="rademacher")
    u, v, m = mcm.spikes(N)
    gen = streams.generator(0, "naive")
    w = torch.randn(N, generator=gen)
    w /= w.norm()
    start = time.perf_counter()
    for _ in range(steps):
        x = mcm.sample(model, 1, u, v, m, generator=gen)
        g = one_neuron.grad_integrated(w, x, "sigma_star", T, math.inf, 24)
        g = g - (g @ w) * w
        w = w - lr(N) * g
        w = w / w.norm()
    return steps / (time.perf_counter() - start)


CPU = {}  # samples per CPU-second of this process, by benchmark key (see rate)


def rate(train, N: int, runs: int, steps: int, key: str = "", **kw) -> float:
    """Samples per wall-clock second; with a ``key``, also samples per CPU-second in CPU[key]
    (the figure that a loaded machine distorts less)."""
    print(f"{train.__module__} N={N} runs={runs} steps={steps}", file=sys.stderr, flush=True)
    rs = [NeuronRun(seed=s, activation="sigma_star", projection="sphere", t=T, lr=lr(N))
          for s in range(runs)]
    train(Cell(N=N, steps=4, log_points=2), rs[:2], **kw)  # warm-up: compile, tables
    start, cpu = time.perf_counter(), time.process_time()
    train(Cell(N=N, steps=steps, log_points=2), rs, **kw)
    if key:
        CPU[key] = round(runs * steps / max(time.process_time() - cpu, 1e-9))
    return runs * steps / (time.perf_counter() - start)


def progress_overhead(steps: int) -> float:
    """Relative slowdown of progress reporting between chunks (module docstring)."""
    rs = [NeuronRun(seed=s, activation="sigma_star", projection="sphere", t=T, lr=lr(128))
          for s in range(16)]
    cell = Cell(N=128, steps=steps, log_points=2)
    quiet = logging.getLogger("benchmark.progress")
    quiet.addHandler(logging.NullHandler())
    quiet.propagate = False
    times = {"plain": [], "progress": []}
    for _ in range(3):
        for kind in times:
            kw = ({"progress": Progress(16 * steps, quiet), "chunk": 1 << 18}
                  if kind == "progress" else {"chunk": 1 << 62})
            start = time.perf_counter()
            reduced.train(cell, rs, **kw)
            times[kind].append(time.perf_counter() - start)
    return min(times["progress"]) / min(times["plain"]) - 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--scale", type=float, default=1.0, help="multiplies every step count")
    a = p.parse_args()
    torch.set_num_threads(1)
    k = lambda n: max(4, int(n * a.scale))  # noqa: E731
    out = {"benchmark": "mcm_engine", "threads": 1, "device": "cpu", "samples_per_s": {}}
    sps = out["samples_per_s"]
    for N in (128, 4096):
        for runs, steps in ((16, 1_000_000), (1024, 20_000)):
            key = f"reduced_N{N}_R{runs}"
            sps[key] = rate(reduced.train, N, runs, k(steps), key)
        sps[f"full_N{N}_R16"] = rate(engine.train, N, 16, k(4000 if N == 128 else 500))
        if N == 128:  # at N = 4096, 1024 full-engine runs hold 1024 views of eye(4096) (64 MB
            # each, core.mixed_cumulant.spikes) and run out of memory on a 24 GB machine
            sps[f"full_N{N}_R1024"] = rate(engine.train, N, 1024, k(500))
    sps["naive_N128_R1"] = naive(128, k(2000))
    out["progress_overhead"] = round(progress_overhead(k(300_000)), 4)
    out["samples_per_s"] = {key: round(v) for key, v in sps.items()}
    out["reduced_samples_per_cpu_s"] = CPU
    out["ratios"] = {
        "reduced_N4096_over_N128_R16": round(sps["reduced_N4096_R16"] / sps["reduced_N128_R16"], 3),
        "reduced_over_full_N128_R16": round(sps["reduced_N128_R16"] / sps["full_N128_R16"], 1),
        "reduced_over_full_N128_R1024": round(sps["reduced_N128_R1024"] / sps["full_N128_R1024"], 1),
        "reduced_over_full_N4096_R16": round(sps["reduced_N4096_R16"] / sps["full_N4096_R16"], 1),
        "reduced_over_naive_N128": round(sps["reduced_N128_R16"] / sps["naive_N128_R1"], 1),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
