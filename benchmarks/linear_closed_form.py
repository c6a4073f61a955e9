"""Speed of the closed-form linear denoisers (easy2hard.linear.closed_form.evaluate) against
their plain per-step numpy expressions (evaluate_reference), in this process (one JSON line).

Setting: one training-set size of the default d = 64 cell of config/config.yaml: N = 64,
10 seeds, 5 ridges λ, 5 flow times τ + ∞, samplers ddpm and ddim, T = 1000 (power-law
target). Seconds are per (N, seed) — one run's share of evaluating all of its λ, τ and
samplers — the best of ``--repeats`` after a warm-up call (which loads or compiles the numba
kernel); the two paths' outputs are checked to be equal bit for bit.

    .venv/bin/python benchmarks/linear_closed_form.py [--repeats 3]
"""

import argparse
import json
import time

import numpy as np

from easy2hard.core import ddpm
from easy2hard.linear import closed_form, denoiser, targets


def best_seconds(fn, args, repeats: int) -> tuple[float, dict]:
    out, best = fn(*args), np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    d, N, seeds = 64, 64, range(10)
    target = targets.build("power_law", d, 1.0)
    t = denoiser.terms(ddpm.Schedule(T=1000, beta_min=1e-4, beta_max=1e-2))
    fits = [denoiser.fit(target.training_set(N, s)) for s in seeds]
    call = (fits, target.population, t, [0, 0.001, 0.01, 0.1, 1],
            [1, 10, 100, 1000, 10000, np.inf], ["ddpm", "ddim"])
    t0 = time.perf_counter()
    closed_form.evaluate(*call)
    first = time.perf_counter() - t0
    new, out = best_seconds(closed_form.evaluate, call, args.repeats)
    ref, ref_out = best_seconds(closed_form.evaluate_reference, call, args.repeats)
    equal = all(np.array_equal(out[k], ref_out[k], equal_nan=True) for k in ref_out)
    print(json.dumps({
        "benchmark": "linear_closed_form", "d": d, "N": N, "seeds": len(seeds), "T": t.T,
        "s_per_N_seed": round(new / len(seeds), 4),
        "reference_s_per_N_seed": round(ref / len(seeds), 4),
        "speedup": round(ref / new, 2), "first_call_s": round(first, 2),
        "bitwise_equal": bool(equal)}))


if __name__ == "__main__":
    main()
