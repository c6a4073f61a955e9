"""Closed-form test error, train error and KL for many runs at once (docs/science.md §10.2-10.5).

One eigendecomposition per training set (run); λ (ridge), τ (gradient-flow time) and the
samplers are broadcast axes. Along eigenvector u_i of C the sampler acts on the scalar
coordinate <u_i, x> independently, so the sampling distribution is
N(U diag(r) Uᵀ m̂ ... , U diag(v) Uᵀ) with r, v from scalar recursions (§10.4).

``evaluate`` runs the T steps in a compiled kernel (closed_form_kernel; numpy only for expm1);
every number goes through the same floating-point operations, in the same order, as in the
plain per-step array expressions of ``evaluate_reference`` (kept for the tests and
benchmarks/linear_closed_form.py), so the two agree bit for bit.
"""

from __future__ import annotations

import numpy as np

from . import closed_form_kernel as kernel
from . import denoiser, sampling
from .targets import Population


def _projections(fits: list[denoiser.Fit], pop: Population):
    """Eigenvalues c (R, 1, 1, d), eigenvectors U (R, d, d), and along U: the test second
    moment diag(Uᵀ Σ U) + (Uᵀ(μ - m̂))², diag(Uᵀ Σ⁻¹ U) and Uᵀ m̂, each (R, 1, 1, d)."""
    c = np.stack([f.c for f in fits])[:, None, None, :]
    U = np.stack([f.U for f in fits])
    mhat = np.stack([f.mean for f in fits])
    proj_cov = np.einsum("rji,jk,rki->ri", U, pop.cov, U)  # diag(Uᵀ Σ U)
    offset = np.einsum("rji,rj->ri", U, pop.mean - mhat)  # Uᵀ (μ - m̂)
    var_test = (proj_cov + offset**2)[:, None, None, :]
    prec_diag = np.einsum("rji,jk,rki->ri", U, pop.prec, U)[:, None, None, :]
    me = np.einsum("rji,rj->ri", U, mhat)[:, None, None, :]  # Uᵀ m̂
    return c, U, var_test, prec_diag, me


def _finish(pop: Population, t: denoiser.Terms, U, mu, v, prec_diag, test, train, d):
    """The output of evaluate from the final recursions and the summed errors."""
    mean = np.einsum("rij,srltj->srlti", U, mu)
    logdet = np.where(v.min(-1) > sampling.VARIANCE_FLOOR,
                      np.log(np.clip(v, 1e-300, None)).sum(-1), -np.inf)
    kl = sampling.gaussian_kl(pop, mean, (v * prec_diag).sum(-1), logdet)
    return {"kl": kl, "test_error": test / (t.T * d), "train_error": train / (t.T * d),
            "mean": mean, "var": v}


def evaluate(fits: list[denoiser.Fit], pop: Population, t: denoiser.Terms, lams, taus,
             samplers, chunk: int = 50) -> dict[str, np.ndarray]:
    """Arrays over (sampler, run, λ, τ): kl, and over (run, λ, τ): test_error, train_error;
    the sampling distribution N(mean, U diag(var) Uᵀ): mean (S, R, L, τ, d) in the original
    coordinates and var (same shape) along the eigenvectors U of each run.

    Errors are per dimension and averaged over the T steps (the DDPM loss with uniform k).
    The steps run ``chunk`` at a time, k = T-1 down to 0, in the compiled kernel.
    """
    c, U, var_test, prec_diag, me = _projections(fits, pop)
    c, var_test, me = c[:, 0, 0], var_test[:, 0, 0], me[:, 0, 0]  # (R, d)
    lam, neg2tau = np.asarray(lams, dtype=float), -2 * np.asarray(taus, dtype=float)
    coef = np.stack([sampling.coefficients(s, t) for s in samplers])  # (S, 3, T)
    gains = (coef[:, 0], coef[:, 1], coef[:, 1] * t.a, coef[:, 2] ** 2)
    R, L, K, d = len(fits), len(lam), len(neg2tau), c.shape[-1]
    mu, v = np.zeros((len(samplers), R, L, K, d)), np.ones((len(samplers), R, L, K, d))
    test, train = np.zeros((R, L, K)), np.zeros((R, L, K))
    for hi in range(t.T, 0, -chunk):
        ks = np.arange(hi - 1, max(hi - chunk, 0) - 1, -1)  # descending
        a, s = t.a[ks], t.s[ks]
        e = np.empty((len(ks), R, L, K, d))
        kernel.exponents(c, a, s, lam, neg2tau, e)
        np.expm1(e, out=e)  # numpy's expm1, as in denoiser.weights (libm's differs in the last bit)
        kernel.steps(e, a, s, lam, var_test, c, *(np.ascontiguousarray(g[:, ks]) for g in gains),
                     me, mu, v, test, train)
    return _finish(pop, t, U, mu, v, prec_diag, test, train, d)


def evaluate_reference(fits: list[denoiser.Fit], pop: Population, t: denoiser.Terms, lams,
                       taus, samplers) -> dict[str, np.ndarray]:
    """:func:`evaluate` written as plain per-step array expressions (slower; the reference
    that the tests and the benchmark compare it with)."""
    c, U, var_test, prec_diag, me = _projections(fits, pop)
    d = c.shape[-1]
    lam = np.asarray(lams, dtype=float)[None, :, None, None]
    tau = np.asarray(taus, dtype=float)[None, None, :, None]
    coef = np.stack([sampling.coefficients(s, t) for s in samplers])  # (S, 3, T)
    coef = coef[:, :, :, None, None, None, None]
    shape = (len(samplers), len(fits), lam.shape[1], tau.shape[2], d)
    mu, v = np.zeros(shape), np.ones(shape)
    test = train = 0.0
    for k in range(t.T - 1, -1, -1):
        a, s = t.a[k], t.s[k]
        w = denoiser.weights(c, a, s, lam, tau)
        test = test + denoiser.error(w, a, s, var_test)
        train = train + denoiser.error(w, a, s, c)
        p = coef[:, 0, k] + coef[:, 1, k] * w
        mu = p * mu - coef[:, 1, k] * a * w * me
        v = p * p * v + coef[:, 2, k] ** 2
    return _finish(pop, t, U, mu, v, prec_diag, test, train, d)


def optimum(pop: Population, t: denoiser.Terms, samplers) -> dict[str, np.ndarray]:
    """The population-optimal linear denoiser (C = Σ, m̂ = μ, λ = 0, τ = ∞): its KL per
    sampler (the N = ∞ floor of each sampler) and its test error (the Wiener error)."""
    c, U = np.linalg.eigh(pop.cov)
    out = evaluate([denoiser.Fit(c, U, pop.mean)], pop, t, [0.0], [np.inf], samplers)
    return {"kl": out["kl"][:, 0, 0, 0], "test_error": float(out["test_error"][0, 0, 0])}


def gaussian_w2(pop: Population, U: np.ndarray, mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Wasserstein-2 distance between the sampled N(mean, U diag(var) Uᵀ) and N(μ, Σ), for the
    output of ``evaluate`` (mean (S, R, L, T, d), var in the eigenbasis U (R, d, d) of each
    run): W₂² = |m − μ|² + tr S + tr Σ − 2 tr (Σ^{1/2} S Σ^{1/2})^{1/2}, the last trace being
    the nuclear norm of Σ^{1/2} U diag(√var). Finite where the KL is not (collapse, N ≤ d)."""
    evals, evecs = np.linalg.eigh(pop.cov)
    root = (evecs * np.sqrt(np.clip(evals, 0, None))) @ evecs.T
    A = np.einsum("ij,rjk->rik", root, U)[None, :, None, None]   # Σ^{1/2} U per run
    M = A * np.sqrt(np.clip(var, 0, None))[..., None, :]
    nuclear = np.linalg.svd(M, compute_uv=False).sum(-1)
    w2sq = (((mean - pop.mean) ** 2).sum(-1) + var.sum(-1) + np.trace(pop.cov)
            - 2 * nuclear)
    return np.sqrt(np.clip(w2sq, 0, None))

