"""One learning curve (ψ_p or ψ_n sweep) of random-features DSM at one d (docs/science.md §13.5)."""

import time

import torch

from easy2hard.core.tables import write_parquet
from easy2hard.pipeline.scripting import log_to
from easy2hard.random_features import cells as rf_cells, grid

log = log_to(snakemake)
torch.set_num_threads(snakemake.threads)
spec = snakemake.params.spec
curve, d = snakemake.wildcards.curve, int(snakemake.wildcards.d)
start = time.perf_counter()
table = grid.run(d, rf_cells.curve_cells(curve, spec["spec"]), spec["m"], spec["lambdas"],
                 spec["seeds"], spec["t"], spec["activation"], spec["hermite_order"],
                 spec["quadrature_nodes"], spec["eval_points"], log=log.info)
table.insert(0, "curve", curve)
write_parquet(table, snakemake.output[0])
log.info("wrote %d rows in %.1f s", len(table), time.perf_counter() - start)
