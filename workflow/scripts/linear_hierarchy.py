"""The hierarchy sweep at fixed trace d (docs/science.md §10.9): ridge and early-stopping
paths of power-law Gaussians of every exponent α, and of trace-normalised natural patches."""

import pandas as pd

from easy2hard.core.ddpm import Schedule
from easy2hard.core.tables import write_parquet
from easy2hard.linear import denoiser, sweep, targets
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
spec, d = snakemake.params.spec, int(snakemake.wildcards.d)  # noqa: F821
t = denoiser.terms(Schedule(**spec["ddpm"]))
cells = [(f"α = {a:g}", a, targets.gaussian("power_law", d, a)) for a in spec["exponents"]]
if spec["patches"]:
    inp = snakemake.input  # noqa: F821
    cells.append(("natural_patches", float("nan"), targets.from_files(
        "natural_patches", d, pool=inp.pool, heldout=inp.heldout, normalise_trace=spec["normalise_trace"])))
frames = []
for name, alpha, target in cells:
    log.info("%s d=%d: N/d %s, %d seeds, T=%d", name, d, spec["N_over_d"], len(spec["seeds"]), t.T)
    df = sweep.regularisation_paths(target, t, N_over_d=spec["N_over_d"], seeds=spec["seeds"],
                                    ridge=spec["ridge"], times=spec["times"], sampler=spec["sampler"])
    df.insert(0, "target", name)
    df.insert(1, "exponent", alpha)
    frames.append(df)
table = pd.concat(frames, ignore_index=True)
write_parquet(table, snakemake.output[0])  # noqa: F821
log.info("wrote %d rows", len(table))
