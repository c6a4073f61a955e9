"""Summaries of MCM sweep tables for the figures: which spike a run targets, the n at which
the seed-mean overlap first passes a level, log-log slopes, and the theory's slopes.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

# Columns that identify one curve (all seeds of one setting at one N).
SETTING = ["sweep", "activation", "projection", "latent", "correlated", "beta_u", "beta_v", "t"]


def spike(beta_v: float, correlated: bool) -> str:
    """The direction a run is scored on: covariance (β_v = 0) or cumulant spike."""
    if beta_v == 0:
        return "covariance"
    return "cumulant, correlated" if correlated else "cumulant"


def with_target(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``spike`` and ``overlap`` (overlap_u for the covariance spike, else overlap_v)."""
    df = df.copy()
    df["spike"] = [spike(bv, c) for bv, c in zip(df["beta_v"], df["correlated"])]
    df["overlap"] = np.where(df["spike"] == "covariance", df["overlap_u"], df["overlap_v"])
    return df


def k_star(spike_name: str) -> float:
    """Information exponent per spike (SCIENCE §6). A later issue computes it from the
    Hermite coefficients (easy2hard/theory.py); this is the single place to wire that in.

    covariance: 2; cumulant with symmetric latent (Rademacher, three-point, Student-t): 4;
    correlated latents: the covariance of u and v makes v visible at order 2 (slope ≈ 1).
    """
    return {"covariance": 2, "cumulant": 4, "cumulant, correlated": 2}[spike_name]


def theory_slope(k: float) -> float:
    """Predicted exponent of n* ∝ N^slope: 1 for k* <= 2 (times ln N at k* = 2), k* - 1 above."""
    return 1.0 if k <= 2 else k - 1.0


def mean_curves(df: pd.DataFrame) -> pd.DataFrame:
    """Seed mean, standard deviation and count of the target overlap per setting, N and n."""
    keys = ["spike", *SETTING, "N", "n"]
    g = df.groupby(keys, dropna=False)["overlap"]
    return g.agg(mean="mean", std="std", seeds="count").reset_index()


def first_passage(n: np.ndarray, y: np.ndarray, level: float) -> float:
    """n where y first reaches ``level``, interpolated linearly in log n; nan if never."""
    n, y = np.asarray(n, float), np.asarray(y, float)
    keep = n > 0
    n, y = n[keep], y[keep]
    above = np.nonzero(y >= level)[0]
    if not len(above):
        return math.nan
    i = above[0]
    if i == 0:
        return float(n[0])
    f = (level - y[i - 1]) / (y[i] - y[i - 1])
    return float(np.exp(np.log(n[i - 1]) + f * (np.log(n[i]) - np.log(n[i - 1]))))


def thresholds(df: pd.DataFrame, level: float) -> pd.DataFrame:
    """n* per setting and N: first passage of the seed-mean overlap through ``level``."""
    curves = mean_curves(with_target(df))
    rows = []
    for key, c in curves.groupby(["spike", *SETTING, "N"], dropna=False):
        c = c.sort_values("n")
        rows.append(dict(zip(["spike", *SETTING, "N"], key),
                         n_star=first_passage(c["n"].to_numpy(), c["mean"].to_numpy(), level),
                         n_max=float(c["n"].max())))
    return pd.DataFrame(rows)


def loglog_slope(N, n_star) -> tuple[float, float, float]:
    """Least-squares slope of ln n* against ln N, its standard error (nan below 3 points)
    and the intercept."""
    x, y = np.log(np.asarray(N, float)), np.log(np.asarray(n_star, float))
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 2:
        return math.nan, math.nan, math.nan
    A = np.vstack([x, np.ones_like(x)]).T
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    if len(x) < 3:
        return float(coef[0]), math.nan, float(coef[1])
    resid = y - A @ coef
    s2 = resid @ resid / (len(x) - 2)
    se = math.sqrt(s2 / ((x - x.mean()) ** 2).sum())
    return float(coef[0]), se, float(coef[1])
