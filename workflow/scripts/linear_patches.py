"""Reduce the natural_patches splits to d = side² pixels: the training pool (train split) and
the held-out "population" set (val + test), for the linear stage (docs/science.md §10.1)."""

import math

import numpy as np

from easy2hard.core.tables import read_npy, write_npy
from easy2hard.linear.patches import reduce_patches
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
d, downsample = int(snakemake.wildcards.d), snakemake.params.downsample  # noqa: F821
side = math.isqrt(d)
if side * side != d:
    raise ValueError(f"natural_patches: d = {d} is not a square side²")
inp = snakemake.input  # noqa: F821
pool = reduce_patches(read_npy(inp.train), downsample, side)
heldout = np.concatenate([reduce_patches(read_npy(p), downsample, side)
                          for p in (inp.val, inp.test)])
write_npy(pool, snakemake.output.pool)  # noqa: F821
write_npy(heldout, snakemake.output.heldout)  # noqa: F821
evals = np.linalg.eigvalsh(np.cov(heldout.T, bias=True))
log.info("d=%d (side %d, downsample %d): pool %s, held-out %s; population eigenvalues "
         "%.3g .. %.3g", d, side, downsample, pool.shape, heldout.shape, evals.min(), evals.max())
