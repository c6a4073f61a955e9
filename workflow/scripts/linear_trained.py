"""Train linear denoisers on the DDPM objective (Adam and/or SGD, runs in lockstep) and record
the closed forms beside them (docs/science.md §10.6)."""

import pandas as pd
import torch

from easy2hard.core.ddpm import Schedule
from easy2hard.core.tables import write_parquet
from easy2hard.linear import denoiser, sweep, targets, training
from easy2hard.pipeline.scripting import log_to, pick_device

log = log_to(snakemake)  # noqa: F821
wc, spec = snakemake.wildcards, snakemake.params.spec  # noqa: F821
d = int(wc.d)
device = pick_device(snakemake.params.device)  # noqa: F821
if device.type == "cpu":
    torch.set_num_threads(max(1, snakemake.threads))  # noqa: F821
target = targets.from_files(wc.target, d, spec.get("power_law_exponent", 1.0),
                            snakemake.input.get("pool"), snakemake.input.get("heldout"),  # noqa: F821
                            spec.get("student_t_dof", 6), spec.get("normalise_trace", True))
t = denoiser.terms(Schedule(**spec["ddpm"]))
runs = [(N, seed) for N in sweep.sizes(d, spec["N_over_d"]) for seed in spec["seeds"]]
frames = []
for opt in spec["optimizers"]:
    hp = spec[opt]
    log.info("%s d=%d: %d runs, %s %s, T=%d on %s", wc.target, d, len(runs), opt, hp, t.T, device)
    df = training.train(target, runs, t, ridge=spec["ridge"], optimizer=opt, lr=hp["lr"],
                        lr_final=hp.get("lr_final", hp["lr"]), steps=hp["steps"],
                        batch=spec["batch"], log_points=spec["log_points"],
                        sampler=spec["sampler"], chunk=spec["chunk"], device=device)
    df.insert(0, "optimizer", opt)
    frames.append(df)
table = pd.concat(frames, ignore_index=True)
table.insert(0, "target", wc.target)
table.insert(1, "d", d)
table.insert(3, "N_over_d", table["N"] / d)
table["ridge"] = spec["ridge"]
write_parquet(table, snakemake.output[0])  # noqa: F821
last = table[table.step == table.groupby("optimizer")["step"].transform("max")]
log.info("final step, seed means:\n%s", last.groupby(["optimizer", "N"])[
    ["kl", "kl_closed", "test_error", "test_error_closed"]].mean().to_string())
