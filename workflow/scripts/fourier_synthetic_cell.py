"""One N of the synthetic sweep: the wide tied autoencoder of the networks stage trained on
|k|^-α signals with sparse phases, R = α × seeds runs in lockstep (docs/science.md §12.3)."""

from types import SimpleNamespace

import pandas as pd
import torch

from easy2hard.core import io as tables
from easy2hard.core import streams
from easy2hard.fourier import synthetic, training
from easy2hard.networks import models
from easy2hard.pipeline.scripting import log_to, pick_device

log = log_to(snakemake)  # noqa: F821
torch.set_num_threads(snakemake.threads)  # noqa: F821
spec, N = snakemake.params.spec, int(snakemake.wildcards.N)  # noqa: F821
device = pick_device(snakemake.params.device)  # noqa: F821
runs = [(float(alpha), int(seed)) for alpha in spec["alpha"] for seed in spec["seeds"]]
R, m, t = len(runs), spec["width"], float(spec["t"])
steps = max(1, round(spec["n_max"]["coef"] * N ** spec["n_max"]["power"] / spec["batch"]))


def draw(kind, alpha, gen):  # runs differing only in α share their spike positions
    return lambda n: synthetic.sample(kind, n, N, alpha, spec["density"], spec["signs"], gen).float()


tests = {k: torch.stack([draw(k, a, streams.generator(s, "fourier", "test", k, N))(spec["eval_samples"])
                         for a, s in runs]).to(device) for k in synthetic.KINDS}
tests["z"] = torch.stack([torch.randn(spec["eval_samples"], N, generator=streams.generator(
    s, "fourier", "test_z", N)) for _, s in runs]).to(device)
arch = models.Arch("autoencoder", N, m)
groups, tt = models.activation_groups([spec["activation"]] * R), torch.full((R,), t, device=device)
params = models.init(arch, [streams.generator(s, "fourier", "init", N, m) for _, s in runs], device=device)
denoiser = SimpleNamespace(forward=lambda p, x: models.forward(arch, p, x, groups, tt),
                           grads=lambda p, xt, z: models.autoencoder_grads(p, xt, z, groups, tt))
log.info("N = %d: %d runs (α x seeds), m = %d, %d steps of batch %d", N, R, m, steps, spec["batch"])
df = training.train(denoiser, params,
                    [draw("data", a, streams.generator(s, "fourier", "data", N)) for a, s in runs],
                    [streams.generator(s, "fourier", "noise", N) for _, s in runs], tests,
                    t=t, steps=steps, batch=spec["batch"], lr=spec["lr"], optimizer=spec["optimizer"],
                    log_points=spec["log_points"], chunk=spec["chunk"])
df["alpha"], df["seed"] = [runs[r][0] for r in df["run"]], [runs[r][1] for r in df["run"]]
df = df.assign(N=N, width=m, t=t, activation=spec["activation"], density=spec["density"],
               signs=spec["signs"], batch=spec["batch"], lr=spec["lr"]).drop(columns="run")
ref = {a: synthetic.reference_losses(N, a, t, spec["density"]) for a in spec["alpha"]}
df = df.join(pd.DataFrame([{"alpha": float(a), **r} for a, r in ref.items()]).set_index("alpha"), on="alpha")
tables.write_parquet(df, snakemake.output[0])  # noqa: F821
last = df[df["step"] == steps].groupby("alpha")[["loss_data", "loss_clone", "loss_linear", "loss_bayes"]].mean()
log.info("final losses per α:\n%s", last.to_string())
