"""DDPM samples of closed-form linear models trained on N < d, N ≈ d and N >> d natural
patches, as a long table (row, label, N, image, y, x, value) (docs/science.md §10.4)."""

import math

import numpy as np
import pandas as pd

from easy2hard.core.ddpm import Schedule
from easy2hard.core.tables import write_parquet
from easy2hard.linear import denoiser, samples, sweep, targets
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
spec, d = snakemake.params.spec, int(snakemake.wildcards.d)  # noqa: F821
side, n = math.isqrt(d), spec["n"]
inp = snakemake.input  # noqa: F821
target = targets.from_files("natural_patches", d, pool=inp.pool, heldout=inp.heldout,
                            normalise_trace=spec["normalise_trace"])
schedule = Schedule(**spec["ddpm"])
Ns = sweep.sizes(d, spec["N_over_d"])
rows = [("held-out patches", 0, target.heldout[:n])]
for N in Ns:
    x = target.training_set(N, spec["seed"])
    if N == min(Ns):
        rows.append((f"training set, N = {N}", N, x[:n]))
    drawn = samples.draw(denoiser.fit(x), schedule, spec["ridge"], n, spec["seed"], d, N)
    rows.append((f"samples, N = {N} (N/d = {N / d:g})", N, drawn))
    log.info("N=%d: sample mean %.3f, std %.3f", N, drawn.mean(), drawn.std())
pixels = np.arange(d)
frames = [pd.DataFrame({"row": r, "label": label, "N": N,
                        "image": np.repeat(np.arange(len(x)), d),
                        "y": np.tile(pixels // side, len(x)), "x": np.tile(pixels % side, len(x)),
                        "value": np.asarray(x, dtype=float).ravel()})
          for r, (label, N, x) in enumerate(rows)]
write_parquet(pd.concat(frames, ignore_index=True), snakemake.output[0])  # noqa: F821
