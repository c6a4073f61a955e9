"""Long table of a few real test images and samples of each clone, for the figure."""

from easy2hard.images import datasets
from easy2hard.images import clones as image_clones
from easy2hard.core import tables
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
sets = {"test": datasets.load_split(snakemake.input.test)}  # noqa: F821
for kind in image_clones.CLONES:
    sets[kind] = datasets.load_split(getattr(snakemake.input, kind))  # noqa: F821
df = image_clones.examples_table(sets, snakemake.params.k, snakemake.wildcards.dataset,  # noqa: F821
                                 snakemake.params.range)  # noqa: F821
tables.write_parquet(df, snakemake.output[0])  # noqa: F821
log.info("%d rows", len(df))
