"""Train the runs of the synthetic multi-patch experiment (seeds x n·SNR², lockstep) with one
objective, and measure alignments (and, for diffusion, the DDPM loss on the data and on its
Gaussian clones) at log-spaced steps (docs/science.md §11.4-5)."""

import torch

from easy2hard.core.io import write_parquet
from easy2hard.multipatch import synthetic
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
spec, objective = snakemake.params.spec, snakemake.params.objective  # noqa: F821
torch.set_num_threads(max(1, snakemake.threads))  # noqa: F821
run_list = synthetic.runs(spec)
batch = synthetic.build(spec, run_list)
log.info("%s: %d runs (seeds %s x n·SNR² %s), d = %d, n = %d, m = %d, %s", objective, len(run_list),
         spec["seeds"], spec["n_snr2"], spec["d"], spec["n"], spec["m"], spec[objective])
snaps = synthetic.train(spec, objective, batch, name=objective)
table = synthetic.alignment_table(spec, objective, run_list, batch, snaps)
write_parquet(table, snakemake.output.table)  # noqa: F821
last = table[table.step == table.step.max()]
log.info("final step, seed means:\n%s", last.groupby("n_snr2")[
    ["loss", "align_mu1", "align_xi", "ratio", "balance"]].mean().to_string())
if objective == "diffusion":
    sets = synthetic.evaluation_sets(spec, run_list, batch)
    losses = synthetic.clone_loss_table(spec, run_list, sets, snaps)
    write_parquet(losses, snakemake.output.losses)  # noqa: F821
    log.info("clone losses at the last step:\n%s", losses[losses.step == losses.step.max()].groupby(
        ["n_snr2", "set"])[["loss", "diff_to_test", "diff_to_test_se"]].mean().to_string())
