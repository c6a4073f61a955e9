"""Phase diagram of random-features DSM in (ψ_n, ψ_p) at one d, activation and t
(docs/science.md §13.5)."""

import time

import torch

from easy2hard.core.tables import write_parquet
from easy2hard.pipeline.scripting import log_to
from easy2hard.random_features import cells as rf_cells, grid

log = log_to(snakemake)
torch.set_num_threads(snakemake.threads)
spec = snakemake.params.spec
start = time.perf_counter()
cells = rf_cells.phase_cells(spec)
table = grid.run(spec["d"], cells, spec["m"], spec["lambdas"], spec["seeds"], spec["t"],
                 spec["activation"], spec["hermite_order"], spec["quadrature_nodes"],
                 spec["eval_points"], log=log.info)
table.insert(0, "curve", "phase")
write_parquet(table, snakemake.output[0])
log.info("memorising fraction (gap ratio > 1/2) %.2f over %d rows in %.1f s",
         table["memorising"].mean(), len(table), time.perf_counter() - start)
