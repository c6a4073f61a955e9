"""Train the runs of the synthetic multi-patch grids (n·SNR², width, sparse signal; lockstep
per width) with one objective, and measure alignments (and, for diffusion, the DDPM loss on
the data and on its Gaussian clones) at log-spaced steps (docs/science.md §11.4-5)."""

import torch

from easy2hard.core.tables import write_parquet
from easy2hard.multipatch import synthetic
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
spec, objective = snakemake.params.spec, snakemake.params.objective  # noqa: F821
torch.set_num_threads(max(1, snakemake.threads))  # noqa: F821
log.info("%s: %d runs, d = %d, n = %d, %s", objective, len(synthetic.runs(spec, objective)),
         spec["d"], spec["n"], spec[objective])
table, losses = synthetic.run_all(spec, objective, name=objective)
write_parquet(table, snakemake.output.table)  # noqa: F821
last = table[table.step == table.step.max()]
log.info("final step, seed means:\n%s", last.groupby(["m", "width_exponent", "sparsity", "n_snr2"])[
    ["loss", "align_mu1", "align_xi", "ratio"]].mean().to_string())
if losses is not None:
    write_parquet(losses, snakemake.output.losses)  # noqa: F821
    log.info("clone losses at the last step:\n%s", losses[losses.step == losses.step.max()].groupby(
        ["sparsity", "n_snr2", "set"])[["loss", "diff_to_test", "diff_to_test_se"]].mean().to_string())
