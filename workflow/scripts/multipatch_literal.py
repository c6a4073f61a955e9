"""Train the paper's literal diffusion setting (sum loss, η = 0.5, 40 000 steps by default)
in one lockstep batch and measure its alignments (docs/science.md §11.3)."""

import torch

from easy2hard.core.tables import write_parquet
from easy2hard.multipatch import synthetic
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
settings = snakemake.params.settings  # noqa: F821
torch.set_num_threads(max(1, snakemake.threads))  # noqa: F821
log.info("literal setting: %s", settings["literal"])
table = synthetic.run_literal(settings["spec"], settings["literal"], name="literal")
write_parquet(table, snakemake.output.table)  # noqa: F821
log.info("last finite step per run:\n%s", table.dropna(subset=["loss"]).sort_values("step").groupby(
    ["seed", "n_snr2"])[["step", "flow_time", "loss", "align_mu1", "align_xi", "ratio"]].last().to_string())
