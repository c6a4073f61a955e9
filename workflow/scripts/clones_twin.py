"""Sample the Gaussian twin N(μ_S, Σ_S) of one set S, fitted on all of S."""

from easy2hard.images import datasets
from easy2hard.images import clones as image_clones
from easy2hard.core import tables
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
source = snakemake.wildcards.source  # noqa: F821
images = datasets.load_split(snakemake.input.source)  # noqa: F821
x = image_clones.twin(source, images, snakemake.params.n or len(images),  # noqa: F821
                      seed=snakemake.params.seed)  # noqa: F821
log.info("twin of %s (fitted on %d images): %s, mean %.4f, std %.4f (%s: %.4f, %.4f)",
         source, len(images), x.shape, x.mean(), x.std(), source, images.mean(), images.std())
tables.write_npy(x, snakemake.output[0])  # noqa: F821
