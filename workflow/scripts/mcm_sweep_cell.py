"""One MCM sweep cell: every run of (sweep, N) trained in lockstep; one tidy Parquet table."""

import time

import torch

from easy2hard.mcm import engine, reduced
from easy2hard.mcm import sweeps
from easy2hard.pipeline.scripting import log_to, pick_device
from easy2hard.core.io import write_parquet

log = log_to(snakemake)  # noqa: F821
sm = snakemake  # noqa: F821
torch.set_num_threads(sm.threads)
device = pick_device(sm.params.device)
N = int(sm.wildcards.N)
cell, runs = sweeps.expand(sm.params.spec, N)
kind = sm.params.spec["engine"]  # reduced (exact in law, docs/science.md §9) or full
log.info("sweep %s, N=%d: %d runs, %d steps of batch %d, %s engine, device %s",
         sm.wildcards.sweep, N, len(runs), cell.steps, cell.batch, kind,
         "cpu" if kind == "reduced" else device)
start = time.perf_counter()
if kind == "reduced":
    table = reduced.train(cell, runs, threads=sm.threads)
else:
    table = engine.train(cell, runs, device=device)
elapsed = time.perf_counter() - start
log.info("done in %.1f s (%.0f samples/s aggregate)", elapsed,
         len(runs) * cell.steps * cell.batch / max(elapsed, 1e-9))
table.insert(0, "sweep", sm.wildcards.sweep)
write_parquet(table, sm.output[0])
