"""Noisy-digits (docs/science.md §11.6): train both objectives on [SNR~ · digit, ξ] (seeds x
SNR~ in lockstep), record the feature-learning dynamics, and the input-gradient and denoised
maps of a few test images at the last step."""

import pandas as pd
import torch

from easy2hard.core.tables import write_parquet
from easy2hard.multipatch import digits, noisy_digits
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
spec = snakemake.params.spec  # noqa: F821
torch.set_num_threads(max(1, snakemake.threads))  # noqa: F821
images, labels = digits.load(spec["source"], spec["root"], spec["download"])
run_list = noisy_digits.runs(spec)
batch = noisy_digits.build(spec, images, labels, run_list)
log.info("%s %s: %d runs, n = %d, D = %d per patch", spec["source"], spec["classes"], len(run_list),
         batch["x"].shape[1], batch["x"].shape[-1])
tables, final = [], {}
for objective in ("classification", "diffusion"):
    log.info("%s: %s", objective, spec[objective])
    snaps = noisy_digits.train(spec, objective, batch, name=objective)
    tables.append(noisy_digits.alignment_table(objective, run_list, batch, snaps))
    final[objective] = snaps[max(snaps)][0]
table = pd.concat(tables, ignore_index=True)
table.insert(0, "source", spec["source"])
write_parquet(table, snakemake.output.alignment)  # noqa: F821
maps = noisy_digits.maps(spec, run_list, batch, final["classification"], final["diffusion"])
write_parquet(noisy_digits.maps_table(run_list, maps, batch["side"]), snakemake.output.maps)  # noqa: F821
last = table[table.step == table.groupby("objective").step.transform("max")]
log.info("final step, seed means:\n%s", last.groupby(["objective", "snr_scale"])[
    ["loss", "align_signal", "align_xi", "ratio", "test_accuracy"]].mean().to_string())
