"""One cell of a network sweep: every run with this (N, width m, depth L), in lockstep."""

import itertools

import torch

from easy2hard.core import mixed_cumulant as mcm
from easy2hard.networks import training as network_training
from easy2hard.networks import models as networks
from easy2hard.pipeline.scripting import log_to, pick_device
from easy2hard.core.io import write_parquet

log = log_to(snakemake)  # noqa: F821
spec = snakemake.params.spec  # noqa: F821
wc = snakemake.wildcards  # noqa: F821
N, m, L = int(wc.N), int(wc.m), int(wc.L)
device = pick_device(snakemake.params.device)  # noqa: F821
if device.type == "cpu":
    torch.set_num_threads(max(1, snakemake.threads))  # noqa: F821

arch = networks.Arch(spec["model"], N, m, L, linear_map=spec["linear_map"])
data = mcm.MCM(N=N, beta_u=spec["beta_u"], beta_v=spec["beta_v"], latent=spec["latent"],
               correlated=spec["correlated"], mean_shift=spec["mean_shift"])
runs = [dict(seed=s, activation=a, t=t, lr=lr)  # grouped by activation: one σ call per group
        for a, t, lr, s in itertools.product(spec["activation"], spec["t"], spec["lr"],
                                             spec["seeds"])]
log.info("%s: %s N=%d m=%d L=%d, %d runs x %d steps on %s", wc.sweep, arch.model, N, m, L,
         len(runs), spec["steps"], device)

table = network_training.train(
    arch, runs, data, steps=spec["steps"], batch=spec["batch"], optimizer=spec["optimizer"],
    log_points=spec["log_points"], eval_samples=spec["eval_samples"], spikes=spec["spikes"],
    w_init_var=spec["w_init_var"], a_init=spec["a_init"], a_trainable=spec["a_trainable"],
    chunk=spec["chunk"], device=device, target=spec["target"])

table.insert(0, "sweep", wc.sweep)
for key, value in dict(N=N, model=arch.model, m=m, L=L, optimizer=spec["optimizer"],
                       batch=spec["batch"], beta_u=spec["beta_u"], beta_v=spec["beta_v"],
                       latent=spec["latent"], linear_map=spec["linear_map"]).items():
    table[key] = value
table["beta_v"] = table["beta_v"].astype(float)
final = table[table.step == table.step.max()]
log.info("final overlap_v by activation:\n%s",
         final.groupby("activation")["overlap_v"].describe().to_string())
write_parquet(table, snakemake.output[0])  # noqa: F821
