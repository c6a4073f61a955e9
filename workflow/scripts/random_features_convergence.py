"""Exact m = 1 errors at one d on a few cells, for the check against the d -> inf limit
(docs/science.md §13.7)."""

import time

import torch

from easy2hard.core.tables import write_parquet
from easy2hard.pipeline.scripting import log_to
from easy2hard.random_features import cells as rf_cells, grid

log = log_to(snakemake)
torch.set_num_threads(snakemake.threads)
s = snakemake.params.spec
d = int(snakemake.wildcards.d)
start = time.perf_counter()
cells = rf_cells.convergence_cells(s)
table = grid.run(d, cells, list(rf_cells.CONVERGENCE_M), s["lambdas"], s["seeds"], s["t"],
                 s["activation"], s["hermite_order"], s["quadrature_nodes"], s["eval_points"],
                 log=log.info)
table.insert(0, "curve", "convergence")
write_parquet(table, snakemake.output[0])
log.info("wrote %d rows in %.1f s", len(table), time.perf_counter() - start)
