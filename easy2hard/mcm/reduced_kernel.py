"""Compiled (numba) inner loop of the reduced one-neuron simulator (docs/science.md §9).

State of a run: w_S, the coordinates of w on S = span(u, v[, m]) (dS = 2, or 3 with a mean shift),
and s = ‖w_⊥‖, the norm of the rest. Per sample only x_S (the MCM's own law on S) and ξ ~ N(0, 1)
(the bulk of x along w_⊥/s) are drawn, and per step one χ²_{d−1} (d = N − dS): a step costs O(B)
whatever N is. Every run has its own xoshiro256++ streams (easy2hard.mcm.rng, drawn inline);
``advance_all`` advances every run of a cell by a chunk of steps (``prange`` over runs in
``advance_all_parallel``, each run alone on its streams), ``record_all`` logs them.

Codes: activations as in ``ACTS``, latents as in ``LATENTS``. Per-run parameters are the columns
``I_*`` of ``ipar`` and ``F_*`` of ``fpar``; cell parameters the entries ``C_*`` / ``K_*``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange, uint64

from ..core.mcm_model import LATENTS  # noqa: F401  (the latent codes index it)
from .rng import (chisquare, chisquare_constants, chisquare_prepared, load, next_u64, normal,
                  store, student_t, uniform)

ACTS = ("sigma_star", "tanh", "sigmoid", "relu", "relu2", "square", "tanh2", "scaled_tanh",
        "linear")
I_ACT, I_SPHERE, I_LATENT, I_CORR, I_TABLE = range(5)
# lr; e^{-t}; sqrt(Δ_t); σ*'s 1 − 1/V_t and a e^{−t}/V_t; sqrt(β_u); a and s along v; the u-v
# covariance c of Σ; c_p = η Δ_t e^{−t}/B; the P table's half-width L and 1/dx.
F_LR, F_DECAY, F_SD, F_LIN, F_C, F_SQBU, F_A, F_S, F_COV, F_CP, F_L, F_INVDX = range(12)
C_MU, C_P3, C_DF = range(3)  # mean shift, three-point p, Student-t df
# N, steps, batch, dim S, z Monte-Carlo, eval size, and 1 (0 drops ξ: a deliberately wrong
# reduction that the tests must reject).
K_N, K_STEPS, K_B, K_DS, K_MC, K_E, K_XI = range(7)
# Output columns: overlap_u, overlap_v, w_norm, then the test losses on SETS.
SETS = ("mcm", "mean", "mean_iso", "meancov")
N_OUT = 3 + len(SETS)


@njit(cache=True, inline="always")
def activation(code, h, lin, c):
    """(σ(h), σ'(h)) as core.activations.evaluate; σ* takes lin = 1 − 1/V_t, c = a e^{−t}/V_t."""
    if code == 0:
        th = math.tanh(c * h)
        return h * lin + c * th, lin + c * c * (1.0 - th * th)
    if code == 1:
        th = math.tanh(h)
        return th, 1.0 - th * th
    if code == 2:
        sg = 1.0 / (1.0 + math.exp(-h))
        return sg, sg * (1.0 - sg)
    if code == 3:
        return max(h, 0.0), 1.0 if h > 0 else 0.0
    if code == 4:
        rl = max(h, 0.0)
        return rl * rl, 2.0 * rl
    if code == 5:
        return h * h, 2.0 * h
    if code == 6:
        th = math.tanh(h)
        return th * th, 2.0 * th * (1.0 - th * th)
    if code == 7:
        th = math.tanh(10.0 * h)
        return 0.1 * th, 1.0 - th * th
    return h, 1.0


@njit(cache=True)
def stein(code, lam, r, decay, sd, lin, c, gx, gw):
    """(F, P, Q, G) of one_neuron._stein_terms for one λ at norm r, by Gauss-Hermite (§5.3-5.4)."""
    F = P = Q = G = 0.0
    for k in range(gx.shape[0]):
        xi = gx[k]
        h = decay * lam + sd * r * xi
        sg, ds = activation(code, h, lin, c)
        base = 2.0 * r * r * sg * ds - 2.0 * sg - 2.0 * h * ds
        F += gw[k] * (r * r * sg * sg - 2.0 * h * sg + 2.0 * r * r * ds)
        P += gw[k] * (base + 2.0 * r / sd * xi * ds)
        Q += gw[k] * (xi * base + 2.0 * r / sd * (xi * xi - 1.0) * ds)
        G += gw[k] * (2.0 * r * sg * sg + 4.0 * r * ds)
    return F, P, Q, G


@njit(cache=True)
def p_table(code, decay, sd, lin, c, coef, L, size, gx, gw):
    """β(λ) = −coef · P(λ, r = 1) on ``size`` uniform points over [−L, L]."""
    out = np.empty(size)
    for i in range(size):
        out[i] = -coef * stein(code, -L + 2.0 * L * i / (size - 1), 1.0, decay, sd, lin, c, gx, gw)[1]
    return out


# Random numbers: every run has three xoshiro256++ streams (rows of its (3, 4) uint64 state:
# DATA for samples, NOISE for Monte-Carlo z, EVAL for held-out sets), drawn inline (rng).
DATA, NOISE, EVAL = range(3)


@njit(cache=True, inline="always")
def latent(st, law, p3, df):
    """ν of mean 0 and variance 1 (§3.2): rademacher, three_point, student_t."""
    if law == 0:
        r, st = next_u64(st)
        return (1.0 if r >> uint64(63) else -1.0), st
    if law == 1:
        uu, st = uniform(st)
        return (1.0 if uu < p3 else (-1.0 if uu > 1.0 - p3 else 0.0)) / math.sqrt(2.0 * p3), st
    x, st = student_t(st, df)
    return x * math.sqrt((df - 2.0) / df), st


@njit(cache=True, inline="always")
def draw_xs(st, corr, sqbu, scale_u, law, p3, ldf, a, sv, mu, dS):
    """(<u, x>, <v, x>, <m, x> or 0, new state) of one MCM sample (§3.1), from scalars only
    (no array crosses the call, so none is reference-counted inside the loops);
    scale_u = sqrt(1 + β_u)."""
    if corr:
        lam, st = normal(st)
        g, st = normal(st)
        x0 = sqbu * lam + g
        nu = 1.0 if lam > 0 else (-1.0 if lam < 0 else 0.0)
    else:  # sqrt(β_u) λ + g_u is one normal of variance 1 + β_u
        g, st = normal(st)
        x0 = scale_u * g
        nu, st = latent(st, law, p3, ldf)
    x1 = a * nu
    if sv > 0:
        g, st = normal(st)
        x1 += sv * g
    x2 = 0.0
    if dS == 3:
        g, st = normal(st)
        x2 = mu + g
    return x0, x1, x2, st


@njit(cache=True, inline="always")
def beta_sphere(table, ip, fp, lam, gx, gw):
    """β = −c_p P(λ) at r = 1: the table (linear interpolation), exact outside [−L, L]."""
    u = (lam + fp[F_L]) * fp[F_INVDX]
    k = ip[I_TABLE]
    if 0.0 <= u < table.shape[1] - 1:
        j = int(u)
        return table[k, j] + (u - j) * (table[k, j + 1] - table[k, j])
    return beta_exact(ip, fp, lam, gx, gw)


@njit(cache=True)
def beta_exact(ip, fp, lam, gx, gw):
    """β = −c_p P(λ) at r = 1 by Gauss-Hermite (for λ beyond the table)."""
    return -fp[F_CP] * stein(ip[I_ACT], lam, 1.0, fp[F_DECAY], fp[F_SD], fp[F_LIN], fp[F_C],
                             gx, gw)[1]


@njit(cache=True)
def advance_sphere(sta, ip, fp, cp, ki, w, table, gx, gw, n):
    """``n`` steps of the common case, pSGD with z integrated and B = 1, in scalars (the same
    law as ``step``): w' = (α w + β x)/ρ with α = 1 − βλ, and before the 1/ρ
    ‖w'_⊥‖² = (α s + β ξ)² + β² χ²_{d−1}. The loop holds scalars only (parameters, state and
    draws; w_S padded to three coordinates, the third 0 when dS = 2, which adds exact zeros)
    and no call but the inlined draws and the rare off-table β: numba then keeps the arrays
    out of reference counting, and LLVM the state in registers."""
    dS = ki[K_DS]
    d = ki[K_N] - dS
    ca, cd, cc = chisquare_constants(float(d - 1))
    xi_on = float(ki[K_XI])
    corr, sqbu, law, p3, ldf = ip[I_CORR], fp[F_SQBU], ip[I_LATENT], cp[C_P3], cp[C_DF]
    scale_u, a_v, s_v, mu = math.sqrt(1.0 + sqbu * sqbu), fp[F_A], fp[F_S], cp[C_MU]
    L, invdx, k, size = fp[F_L], fp[F_INVDX], ip[I_TABLE], table.shape[1]
    w0, w1, w2, s = w[0], w[1], w[2] if dS == 3 else 0.0, w[dS]
    st = load(sta)
    for _ in range(n):
        x0, x1, x2, st = draw_xs(st, corr, sqbu, scale_u, law, p3, ldf, a_v, s_v, mu, dS)
        xi = 0.0
        if d > 0:
            xi, st = normal(st)
            xi *= xi_on
        lam = s * xi + w0 * x0 + w1 * x1 + w2 * x2
        u = (lam + L) * invdx
        if 0.0 <= u < size - 1:
            j = int(u)
            b = table[k, j] + (u - j) * (table[k, j + 1] - table[k, j])
        else:
            b = beta_exact(ip, fp, lam, gx, gw)
        a = 1.0 - b * lam
        sb = a * s + b * xi
        q, st = chisquare_prepared(st, ca, cd, cc)
        s2 = sb * sb + b * b * q
        w0, w1, w2 = a * w0 + b * x0, a * w1 + b * x1, a * w2 + b * x2
        rho2 = s2 + w0 * w0 + w1 * w1 + w2 * w2
        inv = 1.0 / math.sqrt(rho2)
        w0, w1, w2 = w0 * inv, w1 * inv, w2 * inv
        s = math.sqrt(s2) * inv
    w[0], w[1] = w0, w1
    if dS == 3:
        w[2] = w2
    w[dS] = s
    store(sta, st)


@njit(cache=True, inline="always")
def step(sta, nsta, ip, fp, cp, ki, w, table, gx, gw, buf):
    """One SGD or pSGD step of batch B on the state w = (w_S, s), in place (§9)."""
    N, B, dS, mc = ki[K_N], ki[K_B], ki[K_DS], ki[K_MC]
    d = N - dS
    xs, zs, xi, ze, lam, mu, bx, bz = buf
    s = w[dS]
    st, nst = load(sta), load(nsta)
    sqbu = fp[F_SQBU]
    scale_u = math.sqrt(1.0 + sqbu * sqbu)
    for b in range(B):
        xs[b, 0], xs[b, 1], x2, st = draw_xs(st, ip[I_CORR], sqbu, scale_u, ip[I_LATENT],
                                            cp[C_P3], cp[C_DF], fp[F_A], fp[F_S], cp[C_MU], dS)
        if dS == 3:
            xs[b, 2] = x2
        xi[b] = 0.0
        if d > 0:
            g, st = normal(st)
            xi[b] = g * ki[K_XI]
        lam[b] = s * xi[b]
        for i in range(dS):
            lam[b] += w[i] * xs[b, i]
        if mc:
            ze[b] = 0.0
            if d > 0:
                ze[b], nst = normal(nst)
            mu[b] = s * ze[b]
            for i in range(dS):
                zs[b, i], nst = normal(nst)
                mu[b] += w[i] * zs[b, i]
    r2 = s * s
    for i in range(dS):
        r2 += w[i] * w[i]
    alpha = _coefficients(ip, fp, B, mc, lam, mu, bx, bz, r2, table, gx, gw)
    sb = alpha * s
    nb2 = 0.0
    for i in range(dS):
        w[i] *= alpha
    for b in range(B):
        sb += bx[b] * xi[b]
        nb2 += bx[b] * bx[b]
        for i in range(dS):
            w[i] += bx[b] * xs[b, i]
        if mc:
            sb += bz[b] * ze[b]
            nb2 += bz[b] * bz[b]
            for i in range(dS):
                w[i] += bz[b] * zs[b, i]
    # The rest of the batch's bulk, orthogonal to w_⊥, adds ‖Σ β_j y_j‖² = ‖β‖² χ²_{d−1}.
    q, st = chisquare(st, float(d - 1))
    store(sta, st)
    store(nsta, nst)
    s2 = sb * sb + nb2 * q
    if ip[I_SPHERE]:
        rho2 = s2
        for i in range(dS):
            rho2 += w[i] * w[i]
        inv = 1.0 / math.sqrt(rho2)
        for i in range(dS):
            w[i] *= inv
        s2 *= inv * inv
    w[dS] = math.sqrt(s2)


@njit(cache=True)
def _coefficients(ip, fp, B, mc, lam, mu, bx, bz, r2, table, gx, gw):
    """α and the β's of w' = α w + Σ_b (bx_b x_b + bz_b z_b) (§5.2, §5.6, §5.7)."""
    sphere, lr, decay, sd = ip[I_SPHERE], fp[F_LR], fp[F_DECAY], fp[F_SD]
    act, lin, c = ip[I_ACT], fp[F_LIN], fp[F_C]
    if not mc:
        if sphere:
            alpha = 1.0
            for b in range(B):
                bx[b] = beta_sphere(table, ip, fp, lam[b], gx, gw)
                alpha -= bx[b] * lam[b]
            return alpha
        r = math.sqrt(r2)
        kappa = 0.0
        for b in range(B):
            _, P, Q, G = stein(act, lam[b], r, decay, sd, lin, c, gx, gw)
            bx[b] = -fp[F_CP] * P
            kappa += (sd * Q + G) / (B * r)
        return 1.0 - lr * sd * sd * kappa
    # Monte-Carlo z: ∇ = 2 sqrtΔ/B Σ_b [σ e_b + <w, e_b> σ' x_t,b], e_b = sqrtΔ(σ w − x_t,b) + z_b.
    cw = gdotw = 0.0
    for b in range(B):
        h = decay * lam[b] + sd * mu[b]
        sg, ds = activation(act, h, lin, c)
        we = sd * (sg * r2 - h) + mu[b]
        cy = we * ds - sd * sg
        cx_b, cz_b = 2.0 * sd / B * cy * decay, 2.0 * sd / B * (cy * sd + sg)
        cw += 2.0 * sd * sd * sg * sg / B
        gdotw += cx_b * lam[b] + cz_b * mu[b]
        bx[b], bz[b] = -lr * cx_b, -lr * cz_b
    alpha = 1.0 - lr * cw
    if sphere:  # remove the radial part of the gradient: w − η (g − <g, w> w) at r = 1
        alpha += lr * (cw * r2 + gdotw)
    return alpha


@njit(cache=True)
def eval_sets(esta, ip, fp, cp, ki, sbar, xS, R):
    """Held-out sets in reduced coordinates with common random numbers: x_S of the MCM, N(μ, I),
    N(μ, σ̄² I) and N(μ, Σ) from the same base normals n_S, and one bulk norm² R_e ~ χ²_d."""
    dS, E, d = ki[K_DS], ki[K_E], ki[K_N] - ki[K_DS]
    ca = math.sqrt(1.0 + fp[F_SQBU] * fp[F_SQBU])  # Cholesky factor of Σ on (u, v)
    cb = fp[F_COV] / ca
    cc = math.sqrt(max(1.0 - cb * cb, 0.0))
    n = np.empty(3)
    est = load(esta)
    for e in range(E):
        for i in range(dS):
            n[i], est = normal(est)
        lam, est = normal(est)
        if ip[I_CORR]:
            nu = 1.0 if lam > 0 else (-1.0 if lam < 0 else 0.0)
        else:
            nu, est = latent(est, ip[I_LATENT], cp[C_P3], cp[C_DF])
        z0 = 0.0
        if d > 0:
            z0, est = normal(est)
        q, est = chisquare(est, float(d - 1))
        R[e] = z0 * z0 + q  # χ²_d = N(0, 1)² + χ²_{d−1}
        xS[0, e, 0] = fp[F_SQBU] * lam + n[0]
        xS[0, e, 1] = fp[F_A] * nu + fp[F_S] * n[1]
        xS[3, e, 0] = ca * n[0]
        xS[3, e, 1] = cb * n[0] + cc * n[1]
        for i in range(dS):
            xS[1, e, i] = n[i]
            xS[2, e, i] = sbar * n[i]
        if dS == 3:
            for j in range(4):
                xS[j, e, 2] = cp[C_MU] + (sbar if j == 2 else 1.0) * n[2]
    store(esta, est)


@njit(cache=True)
def record(esta, ip, fp, ki, w, xS, R, sbar, gx, gw, out):
    """Overlaps, ‖w‖ and the mean test loss (z integrated, constant included) on each set."""
    dS, E, N = ki[K_DS], ki[K_E], ki[K_N]
    d = N - dS
    s = w[dS]
    r2 = s * s
    for i in range(dS):
        r2 += w[i] * w[i]
    r = math.sqrt(r2)
    out[0], out[1], out[2] = abs(w[0]) / r, abs(w[1]) / r, r
    if E == 0:
        return
    est = load(esta)
    decay, sd = fp[F_DECAY], fp[F_SD]
    for j in range(len(SETS)):
        out[3 + j] = 0.0
    for e in range(E):
        # A fresh bulk angle: <w_⊥/s, g_e>/‖g_e‖ is a coordinate of a uniform unit vector.
        c = 0.0
        if d > 0:
            z0, est = normal(est)
            q, est = chisquare(est, float(d - 1))
            c = z0 / math.sqrt(z0 * z0 + q)
        for j in range(len(SETS)):
            scale = sbar if j == 2 else 1.0
            lam = s * scale * math.sqrt(R[e]) * c
            sq = scale * scale * R[e]
            for i in range(dS):
                lam += w[i] * xS[j, e, i]
                sq += xS[j, e, i] * xS[j, e, i]
            F = stein(ip[I_ACT], lam, r, decay, sd, fp[F_LIN], fp[F_C], gx, gw)[0]
            loss = sd * sd * (F + decay * decay * sq) + decay ** 4 * N
            out[3 + j] += loss / E
    store(esta, est)


@njit(cache=True)
def advance(st, ip, fp, cp, ki, w, table, gx, gw, buf, n):
    """``n`` steps of one run; the step bodies are inlined so that the loop holds no calls
    (numba then keeps the arrays out of reference counting, several times faster)."""
    if ip[I_SPHERE] and not ki[K_MC] and ki[K_B] == 1:
        advance_sphere(st[DATA], ip, fp, cp, ki, w, table, gx, gw, n)
    else:
        for _ in range(n):
            step(st[DATA], st[NOISE], ip, fp, cp, ki, w, table, gx, gw, buf)


@njit(cache=True)
def _buffers(B, dS):
    return (np.zeros((B, dS)), np.zeros((B, dS)), np.zeros(B), np.zeros(B), np.zeros(B),
            np.zeros(B), np.zeros(B), np.zeros(B))


@njit(cache=True)
def advance_all(st, ipar, fpar, cp, ki, w, table, gx, gw, n):
    """``n`` steps of every run r (its streams st[r], its state w[r])."""
    buf = _buffers(ki[K_B], ki[K_DS])
    for i in range(ipar.shape[0]):
        advance(st[i], ipar[i], fpar[i], cp, ki, w[i], table, gx, gw, buf, n)


@njit(cache=True, parallel=True)
def advance_all_parallel(st, ipar, fpar, cp, ki, w, table, gx, gw, n):
    """``advance_all`` with a thread pool over runs (the same numbers: runs share nothing)."""
    for r in prange(ipar.shape[0]):
        i = np.int64(r)
        advance(st[i], ipar[i], fpar[i], cp, ki, w[i], table, gx, gw,
                _buffers(ki[K_B], ki[K_DS]), n)


@njit(cache=True)
def eval_all(st, ipar, fpar, cp, ki, sbar, xS, R):
    """Every run's held-out sets (its EVAL stream): xS[r] (sets, E, dS), R[r] (E,)."""
    for i in range(ipar.shape[0]):
        eval_sets(st[i, EVAL], ipar[i], fpar[i], cp, ki, sbar[i], xS[i], R[i])


@njit(cache=True)
def record_all(st, ipar, fpar, ki, w, xS, R, sbar, gx, gw, out, k):
    """Row k of every run's output (overlaps, ‖w‖, test losses)."""
    for i in range(ipar.shape[0]):
        record(st[i, EVAL], ipar[i], fpar[i], ki, w[i], xS[i], R[i], sbar[i], gx, gw, out[i, k])


@njit(cache=True)
def one_steps(st, ip, fp, cp, ki, start, table, gx, gw, out):
    """out[i] = the state after one step from ``start``, for every row i: independent draws
    of the one-step law (the streams st advance from row to row)."""
    buf = _buffers(ki[K_B], ki[K_DS])
    w = np.empty(start.shape[0])
    for i in range(out.shape[0]):
        w[:] = start
        advance(st, ip, fp, cp, ki, w, table, gx, gw, buf, 1)
        out[i] = w
