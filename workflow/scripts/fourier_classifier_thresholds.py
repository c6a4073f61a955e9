"""n* of the phase classifier: per seed, per (N, alpha) with bootstrap intervals, and the
fitted exponent of n* against N per alpha (docs/science.md §12.5)."""

from easy2hard.core import tables
from easy2hard.fourier import analysis
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
boot = snakemake.params.bootstrap  # noqa: F821
cells = tables.read_parquets(snakemake.input)  # noqa: F821
passages, thr, exps = analysis.classifier_summary(cells, boot["samples"], boot["ci"], boot["seed"],
                                                  snakemake.params.task_tolerance)  # noqa: F821
tables.write_parquet(passages, snakemake.output.passages)  # noqa: F821
tables.write_parquet(thr, snakemake.output.thresholds)  # noqa: F821
tables.write_parquet(exps, snakemake.output.exponents)  # noqa: F821
log.info("n* per (N, alpha):\n%s\nexponents:\n%s", thr.to_string(), exps.to_string())
