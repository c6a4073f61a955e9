"""One closed-form cell (target, d) of the linear stage: KL, test and train error for every
N, seed, ridge λ, flow time τ and sampler (docs/science.md §10)."""

from easy2hard.core.ddpm import Schedule
from easy2hard.core.tables import write_parquet
from easy2hard.linear import denoiser, sweep, targets
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
wc, spec = snakemake.wildcards, snakemake.params.spec  # noqa: F821
d = int(wc.d)
target = targets.from_spec(wc.target, d, spec, snakemake.input.get("pool"),  # noqa: F821
                           snakemake.input.get("heldout"))  # noqa: F821
t = denoiser.terms(Schedule(**spec["ddpm"]))
log.info("%s d=%d: N/d %s, %d seeds, ridge %s, times %s + inf, samplers %s, T=%d", wc.target,
         d, spec["N_over_d"], len(spec["seeds"]), spec["ridge"], spec["times"],
         spec["samplers"], t.T)
table = sweep.cell(target, t, N_over_d=spec["N_over_d"], seeds=spec["seeds"],
                   ridge=spec["ridge"], times=spec["times"], samplers=spec["samplers"],
                   mc_samples=spec["mc_samples"], ideal_reps=spec["ideal_reps"])
write_parquet(table, snakemake.output[0])  # noqa: F821
log.info("wrote %d rows", len(table))
