"""One N of the denoiser sweep: the wide tied autoencoder of the networks stage (plus, with
linear_start, the fixed best linear noise predictor) trained on |k|^-α signals with sparse
phases, R = α × seeds runs in lockstep (docs/science.md §12.3)."""

from types import SimpleNamespace

import pandas as pd
import torch

from easy2hard.core import tables
from easy2hard.core import streams
from easy2hard.fourier import synthetic, training
from easy2hard.fourier.names import samples
from easy2hard.networks import models
from easy2hard.pipeline.scripting import log_to, pick_device

log = log_to(snakemake)  # noqa: F821
torch.set_num_threads(snakemake.threads)  # noqa: F821
spec, N = snakemake.params.spec, int(snakemake.wildcards.N)  # noqa: F821
device = pick_device(snakemake.params.device)  # noqa: F821
runs = [(float(alpha), int(seed)) for alpha in spec["alpha"] for seed in spec["seeds"]]
R, m, t, lin = len(runs), spec["width"], float(spec["t"]), spec["linear_start"]
steps = max(1, round(samples(spec["n_max"], N) / spec["batch"]))
tests, sources, noises = training.synthetic_sets(runs, N, spec, device)
arch, tt = models.Arch("autoencoder", N, m), torch.full((R,), t, device=device)
groups = models.activation_groups([spec["activation"]] * R)
params = models.init(arch, [streams.generator(s, "fourier", "init", N, m) for _, s in runs],
                     device=device, a_init=0.0 if lin else 1.0)
den = SimpleNamespace(forward=lambda p, x: models.forward(arch, p, x, groups, tt),
                      grads=lambda p, xt, z: models.autoencoder_grads(p, xt, z, groups, tt))
if lin:  # one L per run, stacked (R, N, N): the runs' α differ
    den = training.with_linear(den, torch.stack([synthetic.wiener_noise_map(N, a, t) for a, _ in runs]).float())
log.info("N = %d: %d runs (α x seeds), m = %d, %d steps of batch %d", N, R, m, steps, spec["batch"])
df = training.train(den, params, sources, noises, tests, t=t, steps=steps, batch=spec["batch"], lr=spec["lr"],
                    optimizer=spec["optimizer"], log_points=spec["log_points"], chunk=spec["chunk"])
df["alpha"], df["seed"] = [runs[r][0] for r in df["run"]], [runs[r][1] for r in df["run"]]
ref = pd.DataFrame([{"alpha": a, **synthetic.reference_losses(N, a, t, spec["density"])} for a in spec["alpha"]])
df = df.drop(columns="run").join(ref.astype({"alpha": float}).set_index("alpha"), on="alpha").assign(
    N=N, width=m, t=t, activation=spec["activation"], density=spec["density"], signs=spec["signs"],
    batch=spec["batch"], lr=spec["lr"], linear_start=lin)
tables.write_parquet(df, snakemake.output[0])  # noqa: F821
log.info("final losses per α:\n%s", df[df["step"] == steps].groupby("alpha")[
    ["loss_data", "loss_clone", "loss_linear", "loss_bayes"]].mean().to_string())
