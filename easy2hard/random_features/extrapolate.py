"""The high-dimensional limit of the simulations, by extrapolation in 1/d (§13.7).

The paper's asymptotic formulas were not available to us, so the d -> inf curves are
estimated, not derived: at every (ψ_n, ψ_p, m, λ) the seed-mean error at the simulated d is
fitted by E(d) = E_inf + c / d (least squares), and E_inf is reported with its standard
error. Near an interpolation peak finite-d rounding is not O(1/d), and the fit is poor there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KEYS = ["curve", "psi_n", "psi_p", "m", "lambda"]
QUANTITIES = ("test_error", "train_error", "dist_emp")


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
    """One row per (curve, ψ_n, ψ_p, m, λ, quantity): the fit over the d of ``curves``."""
    mean = curves.groupby(KEYS + ["d"], as_index=False)[list(QUANTITIES)].mean()
    rows = []
    for key, grp in mean.groupby(KEYS):
        if grp["d"].nunique() < 2:
            continue
        for q in QUANTITIES:
            e_inf, c, se = fit_inverse_d(grp["d"].to_numpy(float), grp[q].to_numpy(float))
            rows.append({**dict(zip(KEYS, key)), "quantity": q, "value_inf": e_inf,
                         "slope_inv_d": c, "stderr": se, "dims": grp["d"].nunique()})
    return pd.DataFrame(rows)


def peaks(curves: pd.DataFrame, along: str, quantity: str = "test_error") -> pd.DataFrame:
    """Where the seed-mean ``quantity`` is largest along ``along`` (ψ_p or ψ_n), for every
    (curve, d, m, λ): the interpolation peak of the learning curve."""
    keys = ["curve", "d", "m", "lambda"]
    mean = curves.groupby(keys + [along], as_index=False)[quantity].mean()
    idx = mean.groupby(keys)[quantity].idxmax()
    return mean.loc[idx].rename(columns={along: "peak_at", quantity: "peak_value"})
