"""Train linear denoisers on the DDPM objective (Adam and/or SGD, runs in lockstep) and record
the closed forms beside them (docs/science.md §10.6)."""

import torch

from easy2hard.core.tables import write_parquet
from easy2hard.linear import targets, training
from easy2hard.pipeline.scripting import log_to, pick_device

log = log_to(snakemake)  # noqa: F821
wc, spec = snakemake.wildcards, snakemake.params.spec  # noqa: F821
d = int(wc.d)
device = pick_device(snakemake.params.device)  # noqa: F821
if device.type == "cpu":
    torch.set_num_threads(max(1, snakemake.threads))  # noqa: F821
target = targets.from_spec(wc.target, d, spec, snakemake.input.get("pool"),  # noqa: F821
                           snakemake.input.get("heldout"))  # noqa: F821
table = training.trained_table(target, d, spec, device, log)
write_parquet(table, snakemake.output[0])  # noqa: F821
last = table[table.step == table.groupby("optimizer")["step"].transform("max")]
log.info("final step, seed means:\n%s", last.groupby(["optimizer", "N"])[
    ["kl", "kl_closed", "test_error", "test_error_closed"]].mean().to_string())
