"""MLP denoisers beside the closed-form linear ones on natural patches, trained in lockstep
over N and seeds (docs/science.md §10.10): test and train error, k-NN KL, memorisation."""

import torch

from easy2hard.core.ddpm import Schedule
from easy2hard.core.tables import write_parquet
from easy2hard.linear import comparison, denoiser, nonlinear, targets
from easy2hard.pipeline.scripting import log_to, pick_device

log = log_to(snakemake)  # noqa: F821
spec, d = snakemake.params.spec, int(snakemake.wildcards.d)  # noqa: F821
device = pick_device(snakemake.params.device)  # noqa: F821
if device.type == "cpu":
    torch.set_num_threads(max(1, snakemake.threads))  # noqa: F821
inp = snakemake.input  # noqa: F821
target = targets.from_files("natural_patches", d, pool=inp.pool, heldout=inp.heldout,
                            normalise_trace=spec["normalise_trace"])
settings = nonlinear.Settings(**{k: spec[k] for k in nonlinear.Settings.__dataclass_fields__})
t = denoiser.terms(Schedule(**spec["ddpm"]))
log.info("d=%d: N/d %s, seeds %s, %s, T=%d on %s", d, spec["N_over_d"], spec["seeds"],
         settings, t.T, device)
table = comparison.compare(target, t, N_over_d=spec["N_over_d"], seeds=spec["seeds"],
                           settings=settings, device=device)
write_parquet(table, snakemake.output[0])  # noqa: F821
log.info("seed means:\n%s", table.groupby(["model", "N"])[
    ["test_error", "train_error", "knn_kl", "ratio", "memorised"]].mean().to_string())
