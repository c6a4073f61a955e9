"""Gaps of each evaluated set's U-Net loss to the test loss, seed-mean, and when each departs."""

from easy2hard.core import tables
from easy2hard.fourier import analysis
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
losses = tables.read_parquets(snakemake.input)  # noqa: F821
df = analysis.tracking(losses, snakemake.params.z)  # noqa: F821
tables.write_parquet(df, snakemake.output[0])  # noqa: F821
summary = df.groupby(["run", "t", "set"])["departs_at"].first().unstack("set")
log.info("first checkpoint where |loss - test loss| > %g s.e.:\n%s", snakemake.params.z,  # noqa: F821
         summary.to_string())
