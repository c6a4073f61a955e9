"""Where one step of the reduced MCM engine spends its time (one JSON line, ns per sample).

Setting of benchmarks/mcm_engine.py (pSGD, σ*, batch 1, Rademacher cumulant spike, t = 0.3,
lr = 0.01 (N/32)^-3), 16 runs at dimension N, single-threaded; each figure is the best of three
timings of ``steps`` steps for every run, after a compiling call:

- ``engine_step``: the engine's loop (reduced_kernel.advance_all);
- ``engine_without_chi2``: the same loop with the χ²_{d−1} draw replaced by its mean (NOT the
  engine's law: only to price the draw inside the loop);
- ``draws_with_chi2`` / ``draws_without_chi2``: a sample's draws (x_S, ξ, and the χ²) alone;
- ``chi2_only``: the χ² draw alone;
- ``arithmetic_only``: the step's arithmetic (λ, table look-up, α, β, the new norm: two square
  roots and a division in one dependency chain) on draws read from a small cached pool.

    .venv/bin/python benchmarks/mcm_step_profile.py [--N 128] [--steps 200000]
"""

import argparse
import json
import math
import time

import numpy as np
from numba import njit

from easy2hard.core.quadrature import gauss_hermite_numpy
from easy2hard.mcm import reduced
from easy2hard.mcm import reduced_kernel as K
from easy2hard.mcm.cells import Cell, NeuronRun
from easy2hard.mcm.rng import chisquare_constants, chisquare_prepared, load, normal, store


@njit(inline="always")
def _draw_constants(ip, fp, cp):
    sqbu = fp[K.F_SQBU]
    return (ip[K.I_CORR], sqbu, math.sqrt(1.0 + sqbu * sqbu), ip[K.I_LATENT], cp[K.C_P3],
            cp[K.C_DF], fp[K.F_A], fp[K.F_S], cp[K.C_MU])


@njit
def draws(sta, ip, fp, cp, ki, n, with_chi2):
    ca, cd, cc = chisquare_constants(float(ki[K.K_N] - ki[K.K_DS] - 1))
    corr, sqbu, scale_u, law, p3, ldf, a_v, s_v, mu = _draw_constants(ip, fp, cp)
    st, acc = load(sta), 0.0
    for _ in range(n):
        x0, x1, x2, st = K.draw_xs(st, corr, sqbu, scale_u, law, p3, ldf, a_v, s_v, mu, 2)
        xi, st = normal(st)
        acc += x0 + x1 + xi
        if with_chi2:
            q, st = chisquare_prepared(st, ca, cd, cc)
            acc += q
    store(sta, st)
    return acc


@njit
def chi2_only(sta, ki, n):
    ca, cd, cc = chisquare_constants(float(ki[K.K_N] - ki[K.K_DS] - 1))
    st, acc = load(sta), 0.0
    for _ in range(n):
        q, st = chisquare_prepared(st, ca, cd, cc)
        acc += q
    store(sta, st)
    return acc


@njit(inline="always")
def _arithmetic(w0, w1, s, x0, x1, xi, q, table, k, L, invdx):
    lam = s * xi + w0 * x0 + w1 * x1
    u = (lam + L) * invdx
    j = int(u)
    b = table[k, j] + (u - j) * (table[k, j + 1] - table[k, j])
    a = 1.0 - b * lam
    sb = a * s + b * xi
    s2 = sb * sb + b * b * q
    w0, w1 = a * w0 + b * x0, a * w1 + b * x1
    inv = 1.0 / math.sqrt(s2 + w0 * w0 + w1 * w1)
    return w0 * inv, w1 * inv, math.sqrt(s2) * inv


@njit
def engine_without_chi2(sta, ip, fp, cp, ki, w, table, n):
    corr, sqbu, scale_u, law, p3, ldf, a_v, s_v, mu = _draw_constants(ip, fp, cp)
    q = float(ki[K.K_N] - ki[K.K_DS] - 1)
    w0, w1, s, st = w[0], w[1], w[2], load(sta)
    for _ in range(n):
        x0, x1, x2, st = K.draw_xs(st, corr, sqbu, scale_u, law, p3, ldf, a_v, s_v, mu, 2)
        xi, st = normal(st)
        w0, w1, s = _arithmetic(w0, w1, s, x0, x1, xi, q, table, ip[K.I_TABLE], fp[K.F_L],
                                fp[K.F_INVDX])
    w[0], w[1], w[2] = w0, w1, s
    store(sta, st)


@njit
def arithmetic_only(w, table, ip, fp, pool, n):
    w0, w1, s = w[0], w[1], w[2]
    for t in range(n):
        i = t & (pool.shape[0] - 1)
        w0, w1, s = _arithmetic(w0, w1, s, pool[i, 0], pool[i, 1], pool[i, 2], pool[i, 3],
                                table, ip[K.I_TABLE], fp[K.F_L], fp[K.F_INVDX])
    w[0], w[1], w[2] = w0, w1, s


def setup(N: int, R: int):
    """The kernel's arguments for R runs of the benchmark setting at dimension N."""
    runs = [NeuronRun(seed=s, activation="sigma_star", projection="sphere", t=0.3,
                      lr=0.01 * (N / 32) ** -3) for s in range(R)]
    cell = Cell(N=N, steps=1, log_points=2)
    gx, gw = gauss_hermite_numpy(cell.gh_order)
    params = [reduced._run_params(cell, r, 0) for r in runs]
    ipar, fpar = np.stack([p[0] for p in params]), np.stack([p[1] for p in params])
    table = reduced._tables(cell, fpar, ipar, gx, gw)
    cp = np.array([0.0, cell.latent_a, cell.student_df])
    ki = np.array([N, 1, 1, 2, 0, 0, 1], np.int64)
    w = reduced.initial_states(cell, runs)
    st = reduced.stream_states(runs, N)
    return st, ipar, fpar, cp, ki, w, table, gx, gw


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--N", type=int, default=128)
    p.add_argument("--steps", type=int, default=200_000)
    a = p.parse_args()
    R, n = 16, a.steps
    st, ipar, fpar, cp, ki, w, table, gx, gw = setup(a.N, R)
    df = a.N - 3.0
    pool = np.random.default_rng(0).standard_normal((512, 4))
    pool[:, 1] = np.sign(pool[:, 1])
    pool[:, 3] = df + pool[:, 3] * math.sqrt(2 * df)
    each = lambda f: (lambda: [f(i) for i in range(R)])  # noqa: E731
    variants = {
        "engine_step": lambda: K.advance_all(st, ipar, fpar, cp, ki, w, table, gx, gw, n),
        "engine_without_chi2": each(lambda i: engine_without_chi2(
            st[i, 0], ipar[i], fpar[i], cp, ki, w[i], table, n)),
        "draws_with_chi2": each(lambda i: draws(st[i, 0], ipar[i], fpar[i], cp, ki, n, True)),
        "draws_without_chi2": each(lambda i: draws(st[i, 0], ipar[i], fpar[i], cp, ki, n, False)),
        "chi2_only": each(lambda i: chi2_only(st[i, 0], ki, n)),
        "arithmetic_only": each(lambda i: arithmetic_only(w[i], table, ipar[i], fpar[i], pool, n)),
    }
    out = {}
    for name, f in variants.items():
        f()
        best = math.inf
        for _ in range(3):
            start = time.perf_counter()
            f()
            best = min(best, time.perf_counter() - start)
        out[name] = round(best / (n * R) * 1e9, 1)
    print(json.dumps({"benchmark": "mcm_step_profile", "N": a.N, "runs": R, "steps": n,
                      "ns_per_sample": out}))


if __name__ == "__main__":
    main()
