"""Two signals of the synthetic model and two of its random-phase clone per α (long table)."""

import numpy as np
import pandas as pd

from easy2hard.core import tables
from easy2hard.core import streams
from easy2hard.fourier import synthetic
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
spec, N = snakemake.params.spec, int(snakemake.params.N)  # noqa: F821
frames = []
for alpha in spec["alpha"]:
    for kind in synthetic.KINDS:
        gen = streams.generator(spec["seeds"][0], "fourier", "examples", kind, N)
        x = synthetic.sample(kind, 2, N, float(alpha), spec["density"], spec["signs"], gen).numpy()
        sample, position = np.indices(x.shape).reshape(2, -1)
        frames.append(pd.DataFrame({"alpha": float(alpha), "set": kind, "sample": sample,
                                    "position": position, "value": x.ravel(), "N": N}))
df = pd.concat(frames, ignore_index=True)
tables.write_parquet(df, snakemake.output[0])  # noqa: F821
log.info("%d rows; per-signal squared norm / N: %s", len(df),
         df.groupby(["alpha", "set", "sample"])["value"].apply(lambda v: (v ** 2).mean()).round(6).unique())
