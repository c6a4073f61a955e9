"""Seed-mean gaps of every set to test: U-Net, Wiener, empirical optimum, U-Net minus Wiener."""

from easy2hard.core.tables import read_parquet, write_parquet
from easy2hard.images.evaluation import seed_mean_gaps
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
gaps = seed_mean_gaps(read_parquet(snakemake.input[0]))  # noqa: F821
write_parquet(gaps, snakemake.output[0])  # noqa: F821
last = gaps[gaps["step"] == gaps["step"].max()]
log.info("last checkpoint:\n%s", last.drop(columns=["dataset", "run"]).to_string())
