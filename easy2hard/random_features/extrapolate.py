"""The d -> inf learning curves (docs/science.md §13.7): derived at m = 1, fitted otherwise.

At m = 1 the limit is the deterministic equivalent of ``asymptotics`` (method
``deterministic_equivalent``; also at the optimal ridge λ, method ``optimal_ridge``). For
m > 1 and m = inf no derivation is implemented: the seed-mean error at the simulated d is
fitted by E(d) = E_inf + c / d (least squares, method ``fit_inverse_d``), also for m = 1 as a
check of the fit against the derivation. Near an interpolation peak finite-d rounding is not
O(1/d), and the fit is poor there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from . import asymptotics, regimes

KEYS = ["curve", "psi_n", "psi_p", "m", "lambda"]
QUANTITIES = ("test_error", "train_error", "dist_emp", "gap_ratio")


def fit_inverse_d(d: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(E_inf, c, standard error of E_inf) of y = E_inf + c / d; the error is nan for 2 d."""
    X = np.stack([np.ones_like(d, dtype=float), 1.0 / d], axis=1)
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    dof = len(d) - 2
    if dof <= 0:
        return float(coef[0]), float(coef[1]), float("nan")
    resid = y - X @ coef
    cov = np.linalg.inv(X.T @ X) * (resid @ resid) / dof
    return float(coef[0]), float(coef[1]), float(np.sqrt(cov[0, 0]))


def extrapolate(curves: pd.DataFrame) -> pd.DataFrame:
    """One row per (curve, ψ_n, ψ_p, m, λ, quantity): the 1/d fit over the d of ``curves``."""
    mean = curves.groupby(KEYS + ["d"], as_index=False)[list(QUANTITIES)].mean()
    rows = []
    for key, grp in mean.groupby(KEYS):
        if grp["d"].nunique() < 2:
            continue
        for q in QUANTITIES:
            e_inf, c, se = fit_inverse_d(grp["d"].to_numpy(float), grp[q].to_numpy(float))
            rows.append({**dict(zip(KEYS, key)), "quantity": q, "value": e_inf,
                         "slope_inv_d": c, "stderr": se, "method": "fit_inverse_d"})
    return pd.DataFrame(rows)


def optimal_ridge(psi_n: float, psi_p: float, t: float, activation: str) -> tuple[float, float]:
    """(λ*, E_test(λ*)) at m = 1, d -> inf: the test error minimised over log λ in [1e-8, 1e3]."""
    def f(log_lam):
        prob = asymptotics.Problem(psi_n, psi_p, 10.0**log_lam, t, activation)
        return asymptotics.errors(prob)["test_error"]

    grid = np.linspace(-8, 3, 23)
    k = int(np.argmin([f(x) for x in grid]))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]
    res = minimize_scalar(f, bounds=(lo, hi), method="bounded", options={"xatol": 1e-4})
    return 10.0**res.x, float(res.fun)


def derived(cells: pd.DataFrame, lambdas, t: float, activation: str) -> pd.DataFrame:
    """m = 1 limit rows for every (curve, ψ_n, ψ_p) of ``cells`` and every λ, and at λ*."""
    rows = []
    for curve, psi_n, psi_p in cells[["curve", "psi_n", "psi_p"]].drop_duplicates().itertuples(
            index=False):
        base = {"curve": curve, "psi_n": psi_n, "psi_p": psi_p, "m": 1.0, "slope_inv_d": np.nan,
                "stderr": 0.0}
        for lam in lambdas:
            e = asymptotics.errors(asymptotics.Problem(psi_n, psi_p, lam, t, activation))
            ratio = regimes.gap_ratio_limit(psi_n, psi_p, lam, t, activation)
            for q, v in (("test_error", e["test_error"]), ("train_error", e["train_error"]),
                         ("gap_ratio", ratio)):
                rows.append({**base, "lambda": lam, "quantity": q, "value": v,
                             "method": "deterministic_equivalent"})
        lam_opt, best = optimal_ridge(psi_n, psi_p, t, activation)
        rows.append({**base, "lambda": lam_opt, "quantity": "test_error", "value": best,
                     "method": "optimal_ridge"})
    return pd.DataFrame(rows)


def limit_table(curves: pd.DataFrame, lambdas, t: float, activation: str) -> pd.DataFrame:
    """The d = inf row set: derived at m = 1, the 1/d fit for every m (module docstring)."""
    out = pd.concat([derived(curves, lambdas, t, activation), extrapolate(curves)],
                    ignore_index=True)
    out["d"], out["t"], out["activation"] = np.inf, t, activation
    return out


def peaks(curves: pd.DataFrame, along: str, quantity: str = "test_error") -> pd.DataFrame:
    """Where the seed-mean ``quantity`` is largest along ``along`` (ψ_p or ψ_n), for every
    (curve, d, m, λ) (and ψ_n of a ψ_p curve): the interpolation peak of the learning curve."""
    keys = ["curve", "d", "m", "lambda"] + (["psi_n"] if along == "psi_p" else [])
    mean = curves.groupby(keys + [along], as_index=False)[quantity].mean()
    idx = mean.groupby(keys)[quantity].idxmax()
    return mean.loc[idx].rename(columns={along: "peak_at", quantity: "peak_value"})
