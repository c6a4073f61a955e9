"""One closed-form cell (target, d): every N, seed, ridge λ, flow time τ and sampler, as a
tidy table (docs/science.md §10). One eigendecomposition per (N, seed), reused for all λ, τ."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from . import closed_form, denoiser, theory
from .targets import Target

log = logging.getLogger(__name__)


def sizes(d: int, N_over_d) -> list[int]:
    """Training-set sizes N = round(r d), one per ratio r, without duplicates."""
    return list(dict.fromkeys(int(round(r * d)) for r in N_over_d))


def cell(target: Target, t: denoiser.Terms, *, N_over_d, seeds, ridge, times,
         samplers) -> pd.DataFrame:
    """Rows (target, d, N, N_over_d, seed, ridge, tau, sampler) with kl, kl_per_dim,
    test_error, train_error, the population optimum (kl_opt, test_error_opt), the
    ideal-sampler expectation for Gaussian data (kl_wishart) and, for natural patches, the
    KL of the model trained on the whole training split (kl_full_pool, the floor that the
    train/held-out difference leaves); tau = inf is the optimum."""
    d, taus = target.d, [*times, np.inf]
    opt = closed_form.optimum(target.population, t, samplers)
    frames = []
    for N in sizes(d, N_over_d):
        fits = [denoiser.fit(target.training_set(N, seed)) for seed in seeds]
        out = closed_form.evaluate(fits, target.population, t, ridge, taus, samplers)
        grid = pd.MultiIndex.from_product([range(len(samplers)), seeds, ridge, taus],
                                          names=["si", "seed", "ridge", "tau"]).to_frame(index=False)
        grid["sampler"] = [samplers[i] for i in grid.pop("si")]
        grid["kl"] = out["kl"].ravel()
        grid["kl_opt"] = np.repeat(opt["kl"], len(seeds) * len(ridge) * len(taus))
        for key in ("test_error", "train_error"):
            grid[key] = np.tile(out[key].ravel(), len(samplers))
        grid.insert(0, "N", N)
        frames.append(grid)
        log.info("%s d=%d N=%d: KL/d at λ=0, τ=∞ (%s) = %s", target.name, d, N, samplers[0],
                 np.array2string(out["kl"][0, :, 0, -1] / d, precision=4))
    df = pd.concat(frames, ignore_index=True)
    df.insert(0, "target", target.name)
    df.insert(1, "d", d)
    df.insert(3, "N_over_d", df["N"] / d)
    df["kl_per_dim"] = df["kl"] / d
    df["test_error_opt"] = opt["test_error"]
    df["kl_wishart"] = [theory.kl_wishart(d, N) for N in df["N"]]
    df["kl_full_pool"] = np.nan
    if target.pool is not None:  # the N → ∞ floor of patches: all the training split
        full = closed_form.evaluate([denoiser.fit(target.pool)], target.population, t, [0.0],
                                    [np.inf], samplers)["kl"][:, 0, 0, 0]
        df["kl_full_pool"] = df["sampler"].map(dict(zip(samplers, full)))
        log.info("KL of the model trained on the whole pool (%d patches): %s",
                 len(target.pool), dict(zip(samplers, full)))
    return df
