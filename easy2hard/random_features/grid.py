"""Errors of the exact ridge solution over a grid of (ψ_n, ψ_p, m, λ, seed) at one d (§13.5).

For each seed one problem is drawn at the largest n, p and m of the grid. Data points are
taken in order of increasing n; for m = inf the noise-averaged moments are accumulated point
by point (one pass), and for every n the moments of the first p features are the leading
block of those of all p_max features. One decomposition per (n, p, m) serves every λ.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import pandas as pd
import torch

from . import empirical, moments, problem, regimes, ridge
from .cells import INF, sizes



def _true_train_error(prob, n: int, m: float) -> float:
    """Train error (1/d) E_emp |sqrt(Δ) s(x) + z|² of the true score s(x) = -x on the same
    training pairs (for m = inf: Δ e^{-2t} |a_i|² / d + (1 - Δ)², averaged over i)."""
    if m == INF:
        a2 = prob.a[:n].pow(2).sum(1).mean().item() / prob.d
        return prob.delta * prob.decay**2 * a2 + (1 - prob.delta) ** 2
    x, z = problem.noisy(prob, n, int(m))
    return empirical.sq_distance((-math.sqrt(prob.delta) * x).T, -z.T).item()


def _errors(sp: ridge.Spectral, lambdas, pop, prob, phi_mix, x_mix, emp) -> dict:
    """Every §13.4 error of one spectral solution, for all λ: a dict of (L,) arrays."""
    sigma, M = pop
    pred = sp.predict(phi_mix, lambdas)
    true = -math.sqrt(prob.delta) * x_mix.T
    dist_emp = empirical.sq_distance(pred, emp.T)
    dist_true = empirical.sq_distance(pred, true)
    return {"train_error": sp.train_error(lambdas),
            "test_error": sp.test_error(lambdas, sigma, M, prob.delta),
            "dist_emp": dist_emp, "dist_true_mix": dist_true,
            "closer_to_emp": dist_emp < dist_true}


def _cells_one_seed(prob, cells, ms, lambdas, order, nodes, log):
    d = prob.d
    p_max = prob.W.shape[0]
    pop_full = moments.population(prob.W, prob.activation, order, nodes)
    acc = (moments.ClusterMoments(prob.W, prob.activation, prob.t, order, nodes)
           if INF in ms else None)
    by_n = {}
    for psi_n, psi_p in cells:
        by_n.setdefault(sizes(d, psi_n), []).append(psi_p)
    for n in sorted(by_n):
        if acc is not None:
            acc.add(prob.a[acc.n:n])
            U, V = acc.moments()
        x_mix = problem.mixture_points(prob, n)
        emp = empirical.scaled_score(x_mix, prob.a[:n], prob.t)
        gap = empirical.sq_distance(emp.T, -math.sqrt(prob.delta) * x_mix.T).item()
        train_emp = empirical.sq_distance(emp.T, -prob.z_eval.T).item()
        emp_test = empirical.scaled_score(prob.x_test, prob.a[:n], prob.t)
        test_emp = empirical.sq_distance(emp_test.T, -math.sqrt(prob.delta) * prob.x_test.T).item()
        phi_mix = problem.features(x_mix, prob.W, prob.activation)
        for p in sorted({sizes(d, psi_p) for psi_p in by_n[n]}):
            pop = (pop_full[0][:p, :p], pop_full[1][:, :p])
            for m in ms:
                if m == INF:
                    sp = ridge.from_moments(U[:p, :p], V[:, :p])
                else:
                    x, z = problem.noisy(prob, n, int(m))
                    sp = ridge.from_samples(problem.features(x, prob.W[:p], prob.activation), z)
                err = _errors(sp, lambdas, pop, prob, phi_mix[:p], x_mix, emp)
                true = _true_train_error(prob, n, m)
                yield (n, p), {"m": float(m), "gap_emp_true": gap, "train_error_emp": train_emp,
                               "test_error_emp": test_emp,
                               "train_error_true": true,
                               "overfitting": err["train_error"] < true, **err}
        log(f"d={d} n={n}: {len(by_n[n])} p values done")


def run(d: int, cells: Sequence[tuple[float, float]], ms: Sequence[float],
        lambdas: Sequence[float], seeds: Sequence[int], t: float, activation: str,
        order: int, nodes: int, eval_points: int,
        log: Callable[[str], None] = lambda s: None) -> pd.DataFrame:
    """Tidy table, one row per (seed, cell, m, λ) of the grid ``cells`` = [(ψ_n, ψ_p)]
    (requested ψ; n = round(ψ_n d) and p = round(ψ_p d) are the sizes used)."""
    lam = torch.tensor(list(lambdas), dtype=problem.DTYPE)
    finite = [int(m) for m in ms if m != INF]
    rows = []
    for seed in seeds:
        prob = problem.draw(seed, d, max(sizes(d, c[0]) for c in cells),
                            max(sizes(d, c[1]) for c in cells), max(finite, default=1),
                            eval_points, t, activation)
        done = {}
        for key, out in _cells_one_seed(prob, cells, ms, lam, order, nodes, log):
            done.setdefault(key, []).append(out)
        for psi_n, psi_p in cells:
            n, p = sizes(d, psi_n), sizes(d, psi_p)
            for out in done[(n, p)]:
                for i, lv in enumerate(lambdas):
                    rows.append({"seed": seed, "psi_n": psi_n, "psi_p": psi_p, "n": n, "p": p,
                                 "lambda": lv, **{k: (v[i].item() if torch.is_tensor(v) else v)
                                                  for k, v in out.items()}})
    df = pd.DataFrame(rows)
    df.insert(0, "d", d)
    df["t"], df["activation"] = t, activation
    return regimes.with_gaps(df)

