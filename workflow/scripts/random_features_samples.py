"""Samples of a memorising and a generalising random-features score model, and their
nearest-training-point distances against fresh target samples (docs/science.md §13.6)."""

import time

import torch

from easy2hard.core.tables import write_parquet
from easy2hard.pipeline.scripting import log_to
from easy2hard.random_features import cells as rf_cells, sampling

log = log_to(snakemake)
torch.set_num_threads(snakemake.threads)
s = snakemake.params.spec
start = time.perf_counter()
models = {name: (s[name]["psi_n"], s[name]["psi_p"]) for name in rf_cells.SAMPLE_MODELS}
times = sampling.time_grid(s["t_min"], s["t_max"], s["steps"])
table = sampling.nearest_neighbours(models, s["d"], s["m"], s["lambda"], s["count"], times,
                                    s["seed"], s["activation"], s["hermite_order"],
                                    s["quadrature_nodes"])
for (model, source), grp in table.groupby(["model", "source"]):
    log.info("%-12s %-6s median nn distance / sqrt d = %.3f, mean norm / sqrt d = %.3f", model,
             source, grp["nn_distance"].median(), grp["norm"].mean())
write_parquet(table, snakemake.output[0])
log.info("wrote %d rows in %.1f s", len(table), time.perf_counter() - start)
