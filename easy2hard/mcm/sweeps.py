"""Expand a sweep spec from the config into the runs of one cell (one N) (docs/science.md §5.8).

A sweep is a grid over activation x projection x latent x correlated x beta_u x beta_v x t
x seeds; every run of a cell shares N, the sample budget, the learning rate, the batch size
and the data settings, and trains in one engine call (easy2hard.mcm.reduced or
easy2hard.mcm.engine). Defaults come from the schema (the spec passed here is already
validated and filled in).
"""

from __future__ import annotations

import itertools
import math

from ..core import budget

GRID = ("activation", "projection", "latent", "correlated", "beta_u", "beta_v", "t", "seeds")
CELL_KEYS = ("batch", "spikes", "mean_shift", "latent_a", "student_df", "z", "gh_order",
             "w_init_norm", "log_points", "eval_samples")


def n_max(spec: dict, N: int) -> int:
    """Sample budget n_max = coef * N**power * (ln N if log), rounded to an integer."""
    return budget.n_max(spec["n_max"], N)


def learning_rate(spec: dict, N: int) -> float:
    """lr = coef * (N / ref_N) ** (-power)."""
    lr = spec["lr"]
    return float(lr["coef"] * (N / lr["ref_N"]) ** (-lr["power"]))


def expand(spec: dict, N: int) -> tuple[Cell, list[NeuronRun]]:
    """The cell settings and the runs of the sweep ``spec`` at dimension ``N``."""
    from .cells import Cell, NeuronRun

    if "N" in spec and N not in spec["N"]:
        raise ValueError(f"N={N} is not in this sweep's N list {spec['N']}")
    batch = int(spec["batch"])
    steps = math.ceil(n_max(spec, N) / batch)
    cell = Cell(N=int(N), steps=steps, **{k: spec[k] for k in CELL_KEYS})
    lr = learning_rate(spec, N)
    runs = [NeuronRun(seed=int(seed), activation=act, projection=proj, latent=lat,
                correlated=bool(corr), beta_u=float(bu), beta_v=float(bv), t=float(t), lr=lr)
            for act, proj, lat, corr, bu, bv, t, seed
            in itertools.product(*(spec[k] for k in GRID))]
    return cell, runs


def train_cell(spec: dict, N: int, threads: int = 1, device=None, log=None):
    """Every run of the sweep ``spec`` at dimension ``N``, trained by the spec's engine
    (``reduced``: exact in law, CPU, cost independent of N, docs/science.md §9; ``full``: the
    lockstep engine on w ∈ R^N, CPU or CUDA, with ``threads`` torch threads); the engines'
    common table. ``log`` receives the settings, progress lines about every 10 s (reduced
    engine) and the rate. Only the full engine imports torch."""
    import logging
    import time

    from ..core.progress import Progress
    from . import reduced

    log = log or logging.getLogger("easy2hard.mcm")
    cell, runs = expand(spec, N)
    kind = spec["engine"]
    total = len(runs) * cell.steps * cell.batch
    log.info("N=%d: %d runs, %d steps of batch %d, %s engine, device %s", N, len(runs),
             cell.steps, cell.batch, kind, "cpu" if kind == "reduced" else device)
    start = time.perf_counter()
    if kind == "reduced":
        progress = Progress(total, log, what="samples")
        table = reduced.train(cell, runs, threads=threads, progress=progress)
        progress.finish()
    elif kind == "full":
        import torch

        from . import engine

        torch.set_num_threads(threads)
        table = engine.train(cell, runs, device=device)
    else:
        raise ValueError(f"config key 'engine': unknown engine {kind!r}; allowed: reduced, full")
    elapsed = time.perf_counter() - start
    log.info("done in %.1f s (%.4g samples/s aggregate)", elapsed, total / max(elapsed, 1e-9))
    return table
