"""Fit the mean μ (1, H, W) and covariance Σ (D, D) of a dataset's test split."""

import numpy as np

from easy2hard.images import datasets
from easy2hard.images import clones as image_clones
from easy2hard.core import tables
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
x = datasets.load_split(snakemake.input.test)  # noqa: F821
mu, cov = image_clones.fit(x)
log.info("fitted %d images: D = %d, mean pixel variance %.5f, min eigenvalue %.3g",
         len(x), cov.shape[0], np.trace(cov) / cov.shape[0], np.linalg.eigvalsh(cov)[0])
tables.write_npy(mu.astype(np.float32), snakemake.output.mu)  # noqa: F821
tables.write_npy(cov.astype(np.float32), snakemake.output.cov)  # noqa: F821
