"""Nearest-neighbour memorisation of the U-Net samples at every sampled checkpoint."""

from easy2hard.core.tables import read_parquet, write_parquet
from easy2hard.images import grid
from easy2hard.images.datasets import load_split
from easy2hard.images.memorisation import memorisation_table
from easy2hard.images.training import training_subset
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
spec, wc = snakemake.params.spec, snakemake.wildcards  # noqa: F821
samples = read_parquet(snakemake.input.samples)  # noqa: F821
seed = int(samples["seed"].iloc[0])  # the sampled run's training subset
train = load_split(snakemake.input.train)  # noqa: F821
train = train[training_subset(len(train), spec["training"]["train_subset"], seed)]
control = load_split(snakemake.input.test)[:spec["evaluation"]["n_images"]]  # noqa: F821
by_step = {step: grid.from_table(g) for step, g in samples.groupby("step")}
opts = spec["samples"]["memorisation"]
table = memorisation_table(by_step, train, control, opts["threshold"], opts["bootstrap"],
                           spec["samples"]["seed"])
table = table.assign(dataset=wc.dataset, run=wc.run, seed=seed)
write_parquet(table, snakemake.output[0])  # noqa: F821
log.info("memorisation (d1/d2 < %g):\n%s", opts["threshold"], table.to_string())
