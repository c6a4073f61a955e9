"""Compiled (numba) steps of the closed-form linear denoisers (docs/science.md §10.2-10.4).

``steps`` runs a chunk of DDPM steps k (in the order given) for every run, ridge λ, time τ and
sampler, given the gradient-flow eigenvalues w of each step: the denoising errors
Σ_i w²(a² var_i + s²) - 2 s w + 1 on the test and train second moments, and the sampler's
scalar recursions μ ← p μ - γ a w m̂, v ← p² v + σ², p = α + γ w, along each eigenvector.

Each number goes through the same floating-point operations, in the same order, as the
plain numpy expressions of ``closed_form.evaluate_reference`` (no fast-math, so no
reassociation or fused multiply-add), and the sums over i follow numpy's pairwise summation
(``pairwise_sum``), so both paths agree bit for bit.
"""

from __future__ import annotations

import numpy as np
from numba import njit

BLOCK = 128  # numpy's PW_BLOCKSIZE: the length below which a sum is one unrolled pass


@njit(cache=True)
def _block_sum(x, lo, n):
    """numpy's pairwise sum of x[lo:lo + n] for n <= BLOCK: one pass, eight accumulators."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += x[lo + i]
        return res
    r0, r1, r2, r3 = x[lo], x[lo + 1], x[lo + 2], x[lo + 3]
    r4, r5, r6, r7 = x[lo + 4], x[lo + 5], x[lo + 6], x[lo + 7]
    i = 8
    while i < n - n % 8:
        b = lo + i
        r0 += x[b]
        r1 += x[b + 1]
        r2 += x[b + 2]
        r3 += x[b + 3]
        r4 += x[b + 4]
        r5 += x[b + 5]
        r6 += x[b + 6]
        r7 += x[b + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += x[lo + i]
        i += 1
    return res


@njit(cache=True)
def pairwise_sum(x, lo, n):
    """Σ x[lo:lo + n] as numpy's pairwise summation of a contiguous float64 row: halves
    (cut at a multiple of 8) summed separately down to BLOCK, then added. Iterative
    (post-order over the halving tree): numba cannot cache a recursive function."""
    if n <= BLOCK:
        return _block_sum(x, lo, n)
    los, ns, stage = np.zeros(64, np.int64), np.zeros(64, np.int64), np.zeros(64, np.int64)
    vals = np.zeros(64)
    los[0], ns[0], top, nv = lo, n, 0, 0
    while top >= 0:
        a, m = los[top], ns[top]
        if m <= BLOCK:
            vals[nv] = _block_sum(x, a, m)
            nv += 1
            top -= 1
        elif stage[top] == 2:  # both halves done: combine left + right
            vals[nv - 2] = vals[nv - 2] + vals[nv - 1]
            nv -= 1
            top -= 1
        else:
            half = m // 2 - (m // 2) % 8
            stage[top] = 2
            los[top + 1], ns[top + 1], stage[top + 1] = a + half, m - half, 0
            los[top + 2], ns[top + 2], stage[top + 2] = a, half, 0
            top += 2  # left half on top: summed first
    return vals[0]


@njit(cache=True)
def _error(w, a, s, var, buf):
    """Σ_i (w_i² (a² var_i + s²) - 2 s w_i + 1) for one (run, λ, τ)."""
    for i in range(w.shape[0]):
        buf[i] = w[i] * w[i] * (a * a * var[i] + s * s) - 2 * s * w[i] + 1
    return pairwise_sum(buf, 0, w.shape[0])


@njit(cache=True)
def exponents(c, a, s, lam, neg2tau, out):
    """out (J, R, L, K, d) = -2τ M with M = a² c + s² + λ: the exponents of the gradient-flow
    weights w = s / M · (1 - exp(-2τM)); c (R, d), a, s (J,), lam (L,), neg2tau (K,)."""
    J, R, L, K, d = out.shape
    for j in range(J):
        for r in range(R):
            for lm in range(L):
                for t in range(K):
                    for i in range(d):
                        out[j, r, lm, t, i] = neg2tau[t] * (a[j] * a[j] * c[r, i] + s[j] * s[j]
                                                            + lam[lm])


@njit(cache=True)
def steps(e, a, s, lam, var_test, c, c0, c1, c1a, c2sq, me, mu, v, test, train):
    """Advance μ, v (S, R, L, K, d) and add the errors to test, train (R, L, K) over the
    steps j of the chunk, given e = expm1(-2τM) (J, R, L, K, d) (see ``exponents``):
    a, s (J,); lam (L,); c0, c1, c1a (= γ a), c2sq (= σ²) (S, J); var_test, c, me (R, d)."""
    J, R, L, K, d = e.shape
    buf, wk = np.empty(d), np.empty(d)
    for j in range(J):
        aj, sj = a[j], s[j]
        for r in range(R):
            for lm in range(L):
                for t in range(K):
                    for i in range(d):  # w = s / M · -expm1(-2τM), as denoiser.weights
                        wk[i] = e[j, r, lm, t, i] * -(sj / (aj * aj * c[r, i] + sj * sj + lam[lm]))
                    test[r, lm, t] += _error(wk, aj, sj, var_test[r], buf)
                    train[r, lm, t] += _error(wk, aj, sj, c[r], buf)
                    for q in range(mu.shape[0]):
                        m, vv = mu[q, r, lm, t], v[q, r, lm, t]
                        g0, g1, g1a, g2 = c0[q, j], c1[q, j], c1a[q, j], c2sq[q, j]
                        for i in range(d):
                            p = g0 + g1 * wk[i]
                            m[i] = p * m[i] - g1a * wk[i] * me[r, i]
                            vv[i] = p * p * vv[i] + g2
