"""Memorisation by the generalisation gap, and where it sets in (docs/science.md §13.5).

The generalisation gap of a score is its DSM loss on fresh data minus its DSM loss on its
training pairs. By Tweedie the fresh-data loss is e^{-2t} + E_test, so

    gap = e^{-2t} + E_test - E_train.

It is measured in units of the gap of the empirical optimal score s_emp (the memorising
minimiser of DSM at m = inf): ratio = gap / gap_emp, about 0 for a generalising score (the
true score has gap e^{-2t} - E_train(s) ~ 0) and 1 for s_emp. A cell memorises when
ratio > 1/2. As d -> inf with n = ψ_n d, s_emp identifies the training point of every
training-mixture point (train loss 0) and, on fresh points, is the score of a point
unrelated to x: gap_emp -> e^{-2t} + e^{-2t}(1 + e^{-2t})/Δ.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import asymptotics
from ..core import ou
from ..core.crossing import log_first_crossing

THRESHOLD = 0.5
SETTING = ["activation", "t"]


def with_gaps(df: pd.DataFrame) -> pd.DataFrame:
    """Add gen_gap, gen_gap_emp, gap_ratio, gap_ratio_true (the true score's, a control) and
    memorising (gap_ratio > 1/2) to a table of errors with columns t, test_error,
    train_error, test_error_emp, train_error_emp and train_error_true."""
    noise = np.exp(-2 * df["t"])
    gap_emp = noise + df["test_error_emp"] - df["train_error_emp"]
    out = df.assign(gen_gap=noise + df["test_error"] - df["train_error"], gen_gap_emp=gap_emp)
    out["gap_ratio"] = out["gen_gap"] / gap_emp
    out["gap_ratio_true"] = (noise - df["train_error_true"]) / gap_emp
    out["memorising"] = out["gap_ratio"] > THRESHOLD
    return out


def gap_emp_limit(t: float) -> float:
    """d -> inf gap of the empirical optimal score (module docstring)."""
    noise = math.exp(-2 * t)
    return noise + noise * (1 + noise) / ou.delta(t)


def gap_ratio_limit(psi_n: float, psi_p: float, lam: float, t: float, activation: str) -> float:
    """d -> inf gap ratio at m = 1, from the deterministic equivalent."""
    e = asymptotics.errors(asymptotics.Problem(psi_n, psi_p, lam, t, activation))
    return (math.exp(-2 * t) + e["test_error"] - e["train_error"]) / gap_emp_limit(t)


def first_crossing(x: np.ndarray, y: np.ndarray, level: float = THRESHOLD) -> float:
    """Smallest x where y rises through ``level`` (linear in log x between grid points);
    x[0] if y[0] is already above, nan if y never is."""
    return log_first_crossing(x, y, level, inclusive=False)


def crossover(df: pd.DataFrame, lam: float) -> pd.DataFrame:
    """Per (setting, d, m, ψ_n): the ψ_p where the seed-mean gap ratio first exceeds 1/2."""
    sub = df[df["lambda"] == lam]
    mean = sub.groupby(SETTING + ["d", "m", "psi_n", "psi_p"], as_index=False)["gap_ratio"].mean()
    rows = []
    for key, g in mean.groupby(SETTING + ["d", "m", "psi_n"]):
        g = g.sort_values("psi_p")
        rows.append({**dict(zip(SETTING + ["d", "m", "psi_n"], key)),
                     "psi_p_cross": first_crossing(g["psi_p"].to_numpy(), g["gap_ratio"].to_numpy())})
    return pd.DataFrame(rows)


def crossover_limit(psi_n: float, lam: float, t: float, activation: str,
                    psi_p: np.ndarray) -> float:
    """d -> inf, m = 1: the ψ_p (on the grid ``psi_p``) where the gap ratio first exceeds 1/2."""
    ratio = np.array([gap_ratio_limit(psi_n, v, lam, t, activation) for v in psi_p])
    return first_crossing(np.asarray(psi_p), ratio)


def limit_ratios(psi_n, psi_p_grid, lam: float, t: float, activation: str) -> np.ndarray:
    """The d = ∞ m = 1 gap ratio on the ψ_p grid at one ψ_n and λ."""
    return np.array([gap_ratio_limit(psi_n, v, lam, t, activation) for v in psi_p_grid])


def onset_table(psi_n_values, psi_p_range, lambdas, t: float, activation: str,
                points: int) -> pd.DataFrame:
    """Per (λ, ψ_n): the largest d = ∞ gap ratio on a fine ψ_p grid and the first crossing of
    ½ over ψ_n (nan: never; left-censored when the grid starts above ½)."""
    fine = np.geomspace(*psi_p_range, points)
    rows = []
    for lam in lambdas:
        for psi_n in psi_n_values:
            r = limit_ratios(psi_n, fine, lam, t, activation)
            rows.append({"lambda": lam, "psi_n": psi_n, "max_ratio": float(r.max()),
                         "censored": bool(r[0] > THRESHOLD),
                         "cross": first_crossing(fine, r) / psi_n})
    return pd.DataFrame(rows)
