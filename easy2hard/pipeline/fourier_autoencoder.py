"""The Fourier stage's denoiser sweep on the networks stage's wide tied autoencoder
(docs/science.md §12.3).

Glue between two domains: ``easy2hard.fourier`` draws the signals and trains,
``easy2hard.networks.models`` is the network. The domains never import each other (the
layers contract in pyproject.toml), so the one place that joins them is here, in the
pipeline layer, called by ``workflow/scripts/fourier_synthetic_cell.py``.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import torch

from ..core import streams
from ..fourier import synthetic, training
from ..fourier.names import denoiser_steps
from ..networks import models


def tied_autoencoder(spec: dict, runs: list[tuple[float, int]], N: int, device):
    """The runs' initial parameters and the denoiser (forward and gradients of the tied
    autoencoder at time t; with ``linear_start``, beside the fixed best linear noise
    predictor of each run's α)."""
    R, m, t = len(runs), spec["width"], float(spec["t"])
    arch, tt = models.Arch("autoencoder", N, m), torch.full((R,), t, device=device)
    groups = models.activation_groups([spec["activation"]] * R)
    params = models.init(arch, [streams.generator(s, "fourier", "init", N, m) for _, s in runs],
                         device=device, a_init=0.0 if spec["linear_start"] else 1.0)
    den = SimpleNamespace(forward=lambda p, x: models.forward(arch, p, x, groups, tt),
                          grads=lambda p, xt, z: models.autoencoder_grads(p, xt, z, groups, tt))
    if spec["linear_start"]:  # one L per run, stacked (R, N, N): the runs' α differ
        maps = [synthetic.wiener_noise_map(N, a, t) for a, _ in runs]
        den = training.with_linear(den, torch.stack(maps).float())
    return params, den


def synthetic_cell(spec: dict, N: int, device, log) -> pd.DataFrame:
    """One N of the denoiser sweep: α × seeds runs trained in lockstep, with the reference
    losses of each α and the cell's settings as columns."""
    runs = [(float(alpha), int(seed)) for alpha in spec["alpha"] for seed in spec["seeds"]]
    t, n_steps = float(spec["t"]), denoiser_steps(spec, N)
    tests, sources, noises = training.synthetic_sets(runs, N, spec, device)
    params, den = tied_autoencoder(spec, runs, N, device)
    log.info("N = %d: %d runs (α x seeds), m = %d, %d steps of batch %d", N, len(runs),
             spec["width"], n_steps, spec["batch"])
    df = training.train(den, params, sources, noises, tests, t=t, steps=n_steps,
                        batch=spec["batch"], lr=spec["lr"], optimizer=spec["optimizer"],
                        log_points=spec["log_points"], chunk=spec["chunk"])
    df["alpha"], df["seed"] = [runs[r][0] for r in df["run"]], [runs[r][1] for r in df["run"]]
    ref = pd.DataFrame([{"alpha": a, **synthetic.reference_losses(N, a, t, spec["density"])}
                        for a in spec["alpha"]])
    df = df.drop(columns="run").join(ref.astype({"alpha": float}).set_index("alpha"), on="alpha")
    df = df.assign(N=N, width=spec["width"], t=t, activation=spec["activation"],
                   density=spec["density"], signs=spec["signs"], batch=spec["batch"],
                   lr=spec["lr"], linear_start=spec["linear_start"])
    log.info("final losses per α:\n%s", df[df["step"] == n_steps].groupby("alpha")[
        ["loss_data", "loss_clone", "loss_linear", "loss_bayes"]].mean().to_string())
    return df
