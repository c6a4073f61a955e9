"""Predicted overlap curves of one MCM sweep: the overlap SDE of pSGD (docs/science.md §6.8)
per setting and N, its full form and its drift-only check."""

from easy2hard.core.tables import write_parquet
from easy2hard.pipeline.scripting import log_to
from easy2hard.theory import dynamics

log = log_to(snakemake)  # noqa: F821
p = snakemake.params  # noqa: F821
table = dynamics.predicted_curves(p.spec, p.cells, p.dynamics["paths"], p.dynamics["seed"],
                                  log=log)
table.insert(0, "sweep", snakemake.wildcards.sweep)  # noqa: F821
for key, c in table.groupby(["activation", "t", "correlated", "N", "dynamics"]):
    log.info("%s: final mean overlap %.3f at n=%.3g", key, c["mean"].iloc[-1], c["n"].iloc[-1])
write_parquet(table, snakemake.output[0])  # noqa: F821
log.info("wrote %d rows", len(table))
