"""Closed-form cells of the linear stage as tidy tables (docs/science.md §10). One
eigendecomposition per (N, seed), reused for every ridge λ, flow time τ and sampler.

- ``cell``: one (target, d): every N, seed, λ, τ and sampler; for targets with an exact
  density also the Monte-Carlo KL to the target itself (§10.8).
- ``regularisation_paths``: one (target, d) for the hierarchy sweep: the ridge path at τ = ∞
  and the early-stopping path at λ = 0, one sampler (§10.9).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch

from ..core import streams
from . import closed_form, denoiser, divergence, laws, theory
from .names import sizes
from .targets import Target

log = logging.getLogger(__name__)


def mc_draws(target: Target, n: int) -> np.ndarray:
    """The white Gaussian draws of a cell's Monte-Carlo KL, shared by all its models."""
    gen = streams.generator(0, "linear", "mc", target.name, target.d)
    return torch.randn(n, target.d, generator=gen, dtype=torch.float64).numpy()


def ideal_kl(target: Target, N: int, reps: int, chunk: int = 20) -> tuple[float, float]:
    """Exact expected KL(N(m̂, C) ‖ N(μ, Σ)) of an ideal sampler trained on N points of the
    target's law, by Monte Carlo over ``reps`` independent training sets (mean, s.e.). By
    affine invariance it is computed on white draws z: KL = ½ [tr C − d − ln det C + |m̂|²]
    with C the 1/N covariance, as the stage's fits use (§10.8: the reference beside the
    leading-order law, which neglects the cubic term)."""
    d = target.d
    gen = streams.generator(0, "linear", "ideal", target.name, d, N)
    out = []
    for start in range(0, reps, chunk):
        b = min(chunk, reps - start)
        z = laws.draw_white(target.law, b * N, d, target.dof, gen).reshape(b, N, d)
        m = z.mean(1)
        zc = z - m[:, None, :]
        C = np.matmul(zc.transpose(0, 2, 1), zc) / N
        logdet = np.linalg.slogdet(C)[1]
        out.append(0.5 * (np.trace(C, axis1=1, axis2=2) - d - logdet + (m * m).sum(1)))
    kl = np.concatenate(out)
    return float(kl.mean()), float(kl.std(ddof=1) / np.sqrt(len(kl)))


def _mc_kl(target: Target, fits, out, z) -> tuple[np.ndarray, np.ndarray]:
    """(KL, SE) per run of the first sampler, first λ and τ = ∞ (the last τ)."""
    pairs = [divergence.mc_kl(target, out["mean"][0, r, 0, -1], f.U, out["var"][0, r, 0, -1], z)
             for r, f in enumerate(fits)]
    return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


def cell(target: Target, t: denoiser.Terms, *, N_over_d, seeds, ridge, times,
         samplers, mc_samples: int = 0, ideal_reps: int = 0) -> pd.DataFrame:
    """Rows (target, d, N, N_over_d, seed, ridge, tau, sampler) with kl, kl_per_dim,
    test_error, train_error, the population optimum (kl_opt, test_error_opt), the
    ideal-sampler expectation for Gaussian data (kl_wishart), its leading order for the law
    of the target (kl_moment_matched, NaN for patches) and, for natural patches, the
    KL of the model trained on the whole training split (kl_full_pool, the floor that the
    train/held-out difference leaves); tau = inf is the optimum. ``kl`` is to the Gaussian
    with the target's moments; for targets with an exact density and ``mc_samples`` > 0,
    kl_mc ± kl_mc_se is the KL to the target itself (first sampler, first λ, τ = ∞; NaN on
    other rows) and kl_mc_opt that of the population-optimal model; with ``ideal_reps`` > 0,
    kl_ideal ± kl_ideal_se is the exact expected KL to the moment-matched Gaussian of an ideal
    sampler (``ideal_kl``, N > d; NaN otherwise and for patches)."""
    d, taus = target.d, [*times, np.inf]
    opt = closed_form.optimum(target.population, t, samplers)
    use_mc = mc_samples > 0 and target.exact_density
    z = mc_draws(target, mc_samples) if use_mc else None
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
        grid["kl_mc"] = grid["kl_mc_se"] = np.nan
        if use_mc:
            at = (grid.sampler == samplers[0]) & (grid.ridge == ridge[0]) & np.isinf(grid.tau)
            grid.loc[at, "kl_mc"], grid.loc[at, "kl_mc_se"] = _mc_kl(target, fits, out, z)
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
    df["kl_mc_opt"] = _mc_optimum(target, t, samplers[0], z) if use_mc else np.nan
    m4 = laws.fourth_moment(target.law, d, target.dof) if target.exact_density else np.nan
    df["kl_moment_matched"] = [theory.kl_moment_matched(d, N, m4) for N in df["N"]]
    df["kl_ideal"] = df["kl_ideal_se"] = np.nan
    if ideal_reps > 0 and target.exact_density and target.law != "gaussian":
        for N in sizes(d, N_over_d):
            if N > d:
                ref = ideal_kl(target, N, ideal_reps)
                df.loc[df["N"] == N, ["kl_ideal", "kl_ideal_se"]] = ref
                log.info("%s d=%d N=%d: ideal-sampler N KL/d² = %.4f ± %.4f", target.name, d, N,
                         N * ref[0] / d**2, N * ref[1] / d**2)
    df["kl_full_pool"] = np.nan
    if target.pool is not None:  # the N → ∞ floor of patches: all the training split
        full = closed_form.evaluate([denoiser.fit(target.pool)], target.population, t, [0.0],
                                    [np.inf], samplers)["kl"][:, 0, 0, 0]
        df["kl_full_pool"] = df["sampler"].map(dict(zip(samplers, full)))
        log.info("KL of the model trained on the whole pool (%d patches): %s",
                 len(target.pool), dict(zip(samplers, full)))
    return df


def _mc_optimum(target: Target, t: denoiser.Terms, sampler: str, z: np.ndarray) -> float:
    """Monte-Carlo KL to the target of the population-optimal linear model (C = Σ, m̂ = μ):
    for a non-Gaussian target, the part of the KL no linear model can remove."""
    c, U = np.linalg.eigh(target.population.cov)
    fit_ = denoiser.Fit(c, U, target.population.mean)
    out = closed_form.evaluate([fit_], target.population, t, [0.0], [np.inf], [sampler])
    kl, se = _mc_kl(target, [fit_], out, z)
    log.info("%s: KL of the population-optimal model to the target %.4g ± %.2g", target.name,
             kl[0], se[0])
    return float(kl[0])


def regularisation_paths(target: Target, t: denoiser.Terms, *, N_over_d, seeds, ridge,
                         times, sampler: str) -> pd.DataFrame:
    """Rows (N, N_over_d, seed, path, value) with kl, w2 (the Gaussian Wasserstein-2 distance
    of the samples' law to the target's moments), test_error and the excess test error
    over the Wiener error: path "ridge" (value λ, τ = ∞; λ = 0 included) and path "time"
    (value τ, λ = 0; τ = ∞ included)."""
    ridge = sorted({0.0, *map(float, ridge)})
    taus = [*sorted(map(float, times)), np.inf]
    opt = closed_form.optimum(target.population, t, [sampler])
    frames = []
    for N in sizes(target.d, N_over_d):
        fits = [denoiser.fit(target.training_set(N, seed)) for seed in seeds]
        for path, lams, ts in (("ridge", ridge, [np.inf]), ("time", [0.0], taus)):
            out = closed_form.evaluate(fits, target.population, t, lams, ts, [sampler])
            values = lams if path == "ridge" else ts
            grid = pd.MultiIndex.from_product([seeds, values], names=["seed", "value"]).to_frame(index=False)
            grid["kl"] = out["kl"][0].reshape(len(seeds), -1).ravel()
            U = np.stack([f.U for f in fits])
            w2 = closed_form.gaussian_w2(target.population, U, out["mean"], out["var"])
            grid["w2"] = w2[0].reshape(len(seeds), -1).ravel()
            grid["test_error"] = out["test_error"].reshape(len(seeds), -1).ravel()
            grid.insert(0, "path", path)
            grid.insert(0, "N", N)
            frames.append(grid)
    df = pd.concat(frames, ignore_index=True)
    df.insert(0, "d", target.d)
    df.insert(2, "N_over_d", df["N"] / target.d)
    df["excess"] = df["test_error"] - opt["test_error"]
    df["kl_opt"] = float(opt["kl"][0])
    return df
