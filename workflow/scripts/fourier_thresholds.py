"""n* per (N, α): the first n where the seed-mean relative loss gap clone − data reaches the margin."""

from easy2hard.core import tables
from easy2hard.fourier import analysis
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
cells = tables.read_parquets(snakemake.input)  # noqa: F821
df = analysis.thresholds(cells, snakemake.params.margin)  # noqa: F821
tables.write_parquet(df, snakemake.output[0])  # noqa: F821
log.info("thresholds:\n%s", df.to_string())
