"""Linear against nonlinear denoisers on natural patches (docs/science.md §10.10): for every
run (N, seed) the MLP of nonlinear.py and the closed-form linear model (λ = 0, τ = ∞) on the
same training set, with the same schedule, measured the same way, plus two references.

Rows (model, N, seed): model "mlp", "linear", and the references "gaussian" (draws of
N(μ, Σ), the best any linear model can do) and "heldout" (fresh held-out patches: the
divergence estimator's value at zero divergence, and the neighbour ratio of points that no
model memorised; both references and the reference set Q use distinct held-out patches). Columns: test_error, train_error (per dimension, k uniform; linear exact,
MLP Monte Carlo with *_se), knn_kl ± knn_kl_se (k-NN KL of whitened samples from held-out
patches), ratio (median nearest / second-nearest training distance), memorised (fraction of
samples with ratio < 1/3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..core import streams
from . import closed_form, denoiser, divergence, nonlinear
from .sweep import sizes
from .targets import Target

MEMORISED = 1 / 3  # ratio below which a sample counts as a copy (Yoon et al. 2023)


def distinct(x: np.ndarray) -> np.ndarray:
    """The rows of x without exact repeats, in their first order. Patches hold exact
    duplicates (e.g. saturated ones), atoms at which the k-NN distances vanish and the
    estimator, which assumes a density, diverges."""
    _, first = np.unique(x, axis=0, return_index=True)
    return x[np.sort(first)]


def _measures(x: np.ndarray, train: np.ndarray, ref: np.ndarray, target: Target, k: int) -> dict:
    white = target.population.prec @ target.population.root  # Σ^{-1/2}
    kl, se = divergence.knn_kl((x - target.population.mean) @ white,
                               (ref - target.population.mean) @ white, k)
    ratio = divergence.neighbour_ratio(x, train)
    return {"knn_kl": kl, "knn_kl_se": se, "ratio": float(np.median(ratio)),
            "memorised": float((ratio < MEMORISED).mean())}


def _linear_samples(fit_: denoiser.Fit, target: Target, t, n: int, gen) -> tuple[np.ndarray, dict]:
    out = closed_form.evaluate([fit_], target.population, t, [0.0], [np.inf], ["ddpm"])
    z = torch.randn(n, target.d, generator=gen, dtype=torch.float64).numpy()
    x = out["mean"][0, 0, 0, 0] + (z * np.sqrt(out["var"][0, 0, 0, 0])) @ fit_.U.T
    return x, {"test_error": float(out["test_error"][0, 0, 0]),
               "train_error": float(out["train_error"][0, 0, 0]), "kl_exact": float(out["kl"][0, 0, 0, 0])}


def compare(target: Target, t: denoiser.Terms, *, N_over_d, seeds, settings: nonlinear.Settings,
            device=None) -> pd.DataFrame:
    """The table described in the module docstring, for one natural-patches target."""
    if target.heldout is None:
        raise ValueError("the nonlinear comparison needs natural patches (a held-out set)")
    d, n = target.d, settings.samples
    heldout = distinct(target.heldout)
    ref, fresh = heldout[n:], heldout[:n]  # the reference set Q and fresh held-out points
    runs = [(N, seed) for N in sizes(d, N_over_d) for seed in seeds]
    data = [target.training_set(N, seed) for N, seed in runs]
    params = nonlinear.train(data, runs, t, settings, tag=(d,), device=device)
    x_mlp = nonlinear.sample(params, runs, t, n, d, tag=(d,))
    gen = streams.generator(0, "linear", "nonlinear", "eval", d)
    dev = params[0].device
    test = nonlinear.denoising_error(params, torch.as_tensor(ref, dtype=torch.float32, device=dev).expand(
        len(runs), -1, -1), t, gen, settings.eval_points)
    pad = torch.stack([torch.as_tensor(x[torch.randint(len(x), (settings.eval_points,), generator=gen).numpy()],
                                       dtype=torch.float32) for x in data]).to(dev)
    train = nonlinear.denoising_error(params, pad, t, gen, settings.eval_points)
    gauss = target.population.mean + torch.randn(n, d, generator=gen, dtype=torch.float64).numpy() @ target.population.root
    rows = []
    for r, ((N, seed), x) in enumerate(zip(runs, data)):
        key = {"N": N, "seed": seed}
        rows.append({"model": "mlp", **key, "test_error": test[0][r], "test_error_se": test[1][r],
                     "train_error": train[0][r], "train_error_se": train[1][r],
                     **_measures(x_mlp[r], x, ref, target, settings.knn)})
        lin, exact = _linear_samples(denoiser.fit(x), target, t, n, gen)
        rows.append({"model": "linear", **key, **exact, **_measures(lin, x, ref, target, settings.knn)})
        for model, pts in (("gaussian", gauss), ("heldout", fresh)):
            rows.append({"model": model, **key, **_measures(pts, x, ref, target, settings.knn)})
    df = pd.DataFrame(rows)
    df.insert(1, "d", d)
    df.insert(3, "N_over_d", df["N"] / d)
    df["test_error_opt"] = closed_form.optimum(target.population, t, ["ddpm"])["test_error"]
    return df
