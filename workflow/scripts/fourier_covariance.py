"""Covariance mismatch (relative Frobenius) of the train split and every clone to the test split."""

from easy2hard.core.tables import write_parquet
from easy2hard.fourier.covariance import mismatch_table
from easy2hard.images.datasets import load_split
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
sets = {name: load_split(path) for name, path in snakemake.input.items()}  # noqa: F821
table = mismatch_table(sets).assign(dataset=snakemake.wildcards.dataset)  # noqa: F821
write_parquet(table, snakemake.output[0])  # noqa: F821
log.info("covariance mismatch to test:\n%s", table.to_string())
