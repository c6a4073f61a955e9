"""Make one Fourier clone (amplitude, phase or amplitude_swap) of a dataset's test split."""

from easy2hard.core import tables
from easy2hard.fourier import clones as fourier_clones
from easy2hard.images import datasets
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
kind = snakemake.wildcards.fclone  # noqa: F821
test = datasets.load_split(snakemake.input.test)  # noqa: F821
x = fourier_clones.sample(kind, test, snakemake.params.n, seed=snakemake.params.seed)  # noqa: F821
log.info("%s clone of %d test images: %s, mean %.4f, std %.4f (test: %.4f, %.4f)",
         kind, len(test), x.shape, x.mean(), x.std(), test.mean(), test.std())
tables.write_npy(x, snakemake.output[0])  # noqa: F821
