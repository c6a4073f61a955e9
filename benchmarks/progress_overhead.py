"""Overhead of progress lines (easy2hard.core.progress.Progress) in long jobs: one JSON line.

(a) ns per ``Progress.update`` call between two reports (one clock read and a comparison),
    over ``--calls`` calls;
(b) a network cell (easy2hard.networks.training, wide autoencoder, N = 32, m = 100, batch 100,
    Adam, 4 runs) trained ``--steps`` steps with its Progress and with a no-op stand-in,
    alternating, ``--repeats`` times each: the median time ratio with/without (noisy on a
    shared machine) and, last, the bound that does not depend on the noise: one update's
    cost over one step's time.

    .venv/bin/python benchmarks/progress_overhead.py [--calls 1000000] [--steps 300] [--repeats 3]
"""

import argparse
import json
import logging
import statistics
import time

import torch

from easy2hard.core import mixed_cumulant as mcm
from easy2hard.core.progress import Progress
from easy2hard.networks import models, training
from easy2hard.pipeline import config


class NoProgress:
    def __init__(self, *args, **kwargs):
        pass

    def update(self, done, note=None):
        pass

    def finish(self, note=None):
        pass


def update_ns(calls: int) -> float:
    progress = Progress(calls, logging.getLogger("bench"), every=1e9)
    start = time.perf_counter()
    for i in range(calls):
        progress.update(i)
    return (time.perf_counter() - start) / calls * 1e9


def cell_seconds(steps: int, progress_cls) -> float:
    cfg = config.validate({"networks": {"sweeps": {"b": {"N": [32], "seeds": [0, 1, 2, 3],
                                                         "steps": steps, "log_points": 5}}}})
    spec = cfg["networks"]["sweeps"]["b"]
    source = training.MCMSource(mcm.MCM(N=32, beta_u=0.0, beta_v=float("inf")),
                                spec["seeds"], spec["spikes"], spec["target"])
    runs = [training.Run(s, "relu", 0.3, 1e-3) for s in spec["seeds"]]
    training.Progress = progress_cls
    start = time.perf_counter()
    training.train(models.Arch("autoencoder", 32, 100, 1), runs, source,
                   training.Settings.from_spec(spec))
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--calls", type=int, default=1_000_000)
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(1)
    ns = update_ns(a.calls)
    cell_seconds(20, Progress)  # warm-up
    with_p, without = [], []
    for _ in range(a.repeats):
        with_p.append(cell_seconds(a.steps, Progress))
        without.append(cell_seconds(a.steps, NoProgress))
    ratios = [w / o for w, o in zip(with_p, without)]
    print(json.dumps({"update_ns": round(ns, 1), "steps": a.steps, "cell_s_with": with_p,
                      "cell_s_without": without,
                      "step_ms_without": round(1e3 * min(without) / a.steps, 3),
                      "ratio_with_over_without": round(statistics.median(ratios), 4),
                      "update_over_step": round(ns * 1e-9 / (min(without) / a.steps), 6)}))


if __name__ == "__main__":
    main()
