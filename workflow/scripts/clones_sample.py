"""Sample one Gaussian clone (mean, meancov or mean_iso) of a dataset's test split."""

from easy2hard.images import datasets
from easy2hard.images import clones as image_clones
from easy2hard.core import tables
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
kind = snakemake.wildcards.clone  # noqa: F821
mu = tables.read_npy(snakemake.input.mu)  # noqa: F821
cov = tables.read_npy(snakemake.input.cov)  # noqa: F821
n = snakemake.params.n or len(datasets.load_split(snakemake.input.test))  # noqa: F821
x = image_clones.sample(kind, mu, cov, n, seed=snakemake.params.seed)  # noqa: F821
log.info("%s clone: %s, mean %.4f, std %.4f", kind, x.shape, x.mean(), x.std())
tables.write_npy(x, snakemake.output[0])  # noqa: F821
