"""One cell of a network sweep: every run with this (N, width m, depth L), in lockstep."""

import itertools

import torch

from easy2hard.core import mixed_cumulant as mcm
from easy2hard.core.io import write_parquet
from easy2hard.core.lockstep import Run
from easy2hard.networks import models as networks
from easy2hard.networks import training as network_training
from easy2hard.pipeline.scripting import log_to, pick_device

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
runs = [Run(seed=s, activation=a, t=t, lr=lr)  # grouped by activation: one σ call per group
        for a, t, lr, s in itertools.product(spec["activation"], spec["t"], spec["lr"],
                                             spec["seeds"])]
settings = network_training.Settings.from_spec(spec)
source = network_training.MCMSource(data, [r.seed for r in runs], spec["spikes"], spec["target"])
log.info("%s: %s N=%d m=%d L=%d, %d runs x %d steps on %s; %s", wc.sweep, arch.model, N, m, L,
         len(runs), spec["steps"], device, settings)

table = network_training.train(arch, runs, source, settings, device=device)

table.insert(0, "sweep", wc.sweep)
for key, value in dict(N=N, model=arch.model, m=m, L=L, optimizer=spec["optimizer"],
                       batch=spec["batch"], beta_u=spec["beta_u"], beta_v=spec["beta_v"],
                       latent=spec["latent"], linear_map=spec["linear_map"]).items():
    table[key] = value
table["beta_v"] = table["beta_v"].astype(float)
table["mean_shift"] = float(spec["mean_shift"])
table["output_bias"] = spec["output_bias"]
# the times actually used: c's time and the test losses' time (null in the config = the run's t)
table["c_time"] = table["t"] if spec["c_time"] is None else float(spec["c_time"])
table["eval_t"] = table["t"] if spec["eval_t"] is None else float(spec["eval_t"])
table["chance_overlap"] = networks.chance_overlap(N, m)  # E max over m random neurons of |cos|
final = table[table.step == table.step.max()]
log.info("final overlap_v by activation:\n%s",
         final.groupby("activation")["overlap_v"].describe().to_string())
write_parquet(table, snakemake.output[0])  # noqa: F821
