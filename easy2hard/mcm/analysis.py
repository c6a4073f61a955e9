"""Summaries of MCM sweep tables for the figures: which spike a run targets, the n at which
the seed-mean overlap first passes a level, log-log slopes, and the theory's slopes.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

from ..core.crossing import log_first_crossing


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


def theory_exponent(exponents: pd.DataFrame, setting: dict) -> tuple[float, bool]:
    """(exponent, log_factor) the theory predicts for one setting (a row of ``thresholds``
    or ``mean_curves``), read from the theory's per-sweep k* tables: n* ∝ N^exponent,
    times ln N if log_factor. NaN where the theory makes no prediction (plain SGD, or no
    k*, e.g. relu on a symmetric cumulant spike)."""
    if setting["projection"] != "sphere":
        return math.nan, False
    sp = "covariance" if setting["spike"] == "covariance" else "cumulant"
    latent = "covariance" if sp == "covariance" else setting["latent"]
    return predicted_slope(
        exponents, sweep=setting["sweep"], activation=setting["activation"],
        t=float(setting["t"]), spike=sp, latent=latent, correlated=bool(setting["correlated"]),
        beta_u=float(setting["beta_u"]), beta_v=float(setting["beta_v"]))


def slope_label(exponent: float, log_factor: bool, N=None) -> str:
    """The predicted slope as text; with a ln N factor, also the effective log-log slope of
    N^exponent ln N over the dimensions ``N`` (what a fit over that range should find)."""
    if not np.isfinite(exponent):
        return "none"
    if not log_factor:
        return f"{exponent:g}"
    text = f"{exponent:g} × ln N"
    if N is not None and len(N) > 1:
        N = np.asarray(N, float)
        text += f" (≈{loglog_slope(N, N**exponent * np.log(N))[0]:.2f} here)"
    return text


def mean_curves(df: pd.DataFrame) -> pd.DataFrame:
    """Seed mean, standard deviation and count of the target overlap per setting, N and n."""
    keys = ["spike", *SETTING, "N", "n"]
    g = df.groupby(keys, dropna=False)["overlap"]
    return g.agg(mean="mean", std="std", seeds="count").reset_index()


def first_passage(n: np.ndarray, y: np.ndarray, level: float) -> float:
    """n where y first reaches ``level``, interpolated linearly in log n; nan if never."""
    n, y = np.asarray(n, float), np.asarray(y, float)
    keep = n > 0
    return log_first_crossing(n[keep], y[keep], level)


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


def predicted_slope(exponents: pd.DataFrame, **match) -> tuple[float, bool]:
    """(exponent, log_factor) of the one row of ``exponents`` matching ``match``.

    Example: predicted_slope(df, activation="sigma_star", t=0.3, spike="cumulant",
    correlated=False). Floats are compared with a relative tolerance of 1e-9.
    """
    sel = np.ones(len(exponents), dtype=bool)
    for key, value in match.items():
        if key not in exponents:
            raise KeyError(f"exponents table has no column {key!r}; columns: {list(exponents)}")
        col = exponents[key]
        if isinstance(value, float) and not isinstance(value, bool):
            sel &= np.isclose(col.astype(float), value, rtol=1e-9, atol=0) | (
                np.isinf(col.astype(float)) & np.isinf(value))
        else:
            sel &= (col == value).to_numpy()
    rows = exponents[sel].drop_duplicates(["exponent", "log_factor"])
    if len(rows) != 1:
        raise ValueError(f"expected one theory exponent for {match}, found {len(rows)}")
    return float(rows["exponent"].iloc[0]), bool(rows["log_factor"].iloc[0])


def rescale_n(n, N, exponent: float, log_factor: bool):
    """n / (N^exponent (ln N)^log_factor): curves for different N collapse if theory holds."""
    N = np.asarray(N, dtype=np.float64)
    return np.asarray(n, dtype=np.float64) / (N**exponent * (np.log(N) if log_factor else 1.0))


def _first_passages(n: np.ndarray, curves: np.ndarray, level: float) -> np.ndarray:
    """first_passage for every row of ``curves`` (D, T) over the common grid ``n`` (T,)."""
    keep = n > 0
    n, curves = np.log(n[keep].astype(float)), curves[:, keep]
    above = curves >= level
    i = above.argmax(1)
    out = np.full(len(curves), math.nan)
    rows = np.nonzero(above.any(1))[0]
    at0 = rows[i[rows] == 0]
    out[at0] = np.exp(n[0])
    rows = rows[i[rows] > 0]
    j = i[rows]
    y0, y1 = curves[rows, j - 1], curves[rows, j]
    out[rows] = np.exp(n[j - 1] + (level - y0) / (y1 - y0) * (n[j] - n[j - 1]))
    return out


def bootstrap_n_star(df: pd.DataFrame, level: float, samples: int, seed: int) -> pd.DataFrame:
    """n* of ``samples`` bootstrap replicates per setting and N (seeds resampled with
    replacement, independently per N: the cells' data streams are independent across N).
    Columns: spike, SETTING, N, draw, n_star. Seeded by ``seed``."""
    df = with_target(df)
    rng = np.random.default_rng(seed)
    rows = []
    for key, c in df.groupby(["spike", *SETTING, "N"], dropna=False, sort=True):
        wide = c.pivot_table(index="seed", columns="n", values="overlap", aggfunc="first")
        Y = wide.to_numpy(float)
        idx = rng.integers(0, len(Y), size=(samples, len(Y)))
        n_star = _first_passages(wide.columns.to_numpy(float), Y[idx].mean(1), level)
        rows.append(pd.DataFrame({**dict(zip(["spike", *SETTING, "N"], key)),
                                  "draw": np.arange(samples), "n_star": n_star}))
    return pd.concat(rows, ignore_index=True)


def slope_intervals(thr: pd.DataFrame, boot: pd.DataFrame, ci: float, exponents) -> pd.DataFrame:
    """Per setting: the least-squares slope of ln n* on ln N with its bootstrap percentile
    interval at level ``ci`` (``slope``, ``slope_lo``, ``slope_hi``); the same for n* / ln N where
    the theory has the ln N factor (``corr_*``: the theory's correction removed, so it is to be
    compared with ``exponent`` itself); the theory's ``exponent``, ``log_factor``, the
    ``effective`` log-log slope of N^exponent (ln N)^log over the sweep's N; and whether the
    intervals contain the theory (``contains``: corrected slope vs exponent). A replicate with
    n* missing at some N fits the N it has."""
    keys = ["spike", *SETTING]
    q = [(1 - ci) / 2, (1 + ci) / 2]
    rows = []
    for key, c in thr.groupby(keys, dropna=False, sort=True):
        row = dict(zip(keys, key))
        c = c.sort_values("N")
        Ns = c["N"].to_numpy(float)
        wide = boot.merge(c[keys].drop_duplicates(), on=keys).pivot_table(
            index="draw", columns="N", values="n_star", dropna=False).reindex(columns=Ns)
        expo, log_factor = theory_exponent(exponents, row)
        row.update(N_min=Ns.min(), N_max=Ns.max(), exponent=expo, log_factor=log_factor,
                   effective=(loglog_slope(Ns, Ns**expo * (np.log(Ns) if log_factor else 1))[0]
                              if np.isfinite(expo) else math.nan))
        for name, corr in (("slope", 1.0), ("corr", np.log(Ns) if log_factor else 1.0)):
            row[name] = loglog_slope(Ns, c["n_star"].to_numpy(float) / corr)[0]
            reps = np.array([loglog_slope(Ns, r / corr)[0] for r in wide.to_numpy(float)])
            reps = reps[np.isfinite(reps)]
            lo_hi = np.quantile(reps, q) if len(reps) else (math.nan, math.nan)
            row[f"{name}_lo"], row[f"{name}_hi"] = float(lo_hi[0]), float(lo_hi[1])
        row["contains"] = bool(row["corr_lo"] <= expo <= row["corr_hi"])
        rows.append(row)
    return pd.DataFrame(rows)


def predicted_thresholds(predicted: pd.DataFrame, level: float, ci: float = 0.9) -> pd.DataFrame:
    """n* of the overlap SDE's mean curves (easy2hard.theory.dynamics), per setting and N:
    ``n_star_pred`` (full SDE) and ``n_star_drift`` (drift only, the check), and the SDE's
    own Monte-Carlo interval (``n_star_pred_lo``, ``n_star_pred_hi``): the crossings of the
    mean ± z·sd/√paths curves (z the normal quantile of ``ci``; to first order, the interval
    of n* over draws of the SDE's paths)."""
    keys = [*SETTING, "N"]
    z = NormalDist().inv_cdf((1 + ci) / 2)
    rows = []
    for key, c in predicted.groupby([*keys, "dynamics"], dropna=False, sort=True):
        c = c.sort_values("n")
        n, mean = c["n"].to_numpy(), c["mean"].to_numpy()
        se = c["std"].to_numpy() / np.sqrt(c["paths"].to_numpy())
        row = {**dict(zip([*keys, "dynamics"], key)), "n_star": first_passage(n, mean, level)}
        if key[-1] == "sde":
            row["lo"] = first_passage(n, mean + z * se, level)
            row["hi"] = first_passage(n, mean - z * se, level)
        rows.append(row)
    cols = ["n_star_pred", "n_star_pred_lo", "n_star_pred_hi", "n_star_drift"]
    if not rows:
        return pd.DataFrame(columns=[*keys, *cols])
    wide = pd.DataFrame(rows).pivot_table(index=keys, columns="dynamics", dropna=False,
                                          values=["n_star", "lo", "hi"])
    wide.columns = [{("n_star", "sde"): "n_star_pred", ("lo", "sde"): "n_star_pred_lo",
                     ("hi", "sde"): "n_star_pred_hi", ("n_star", "drift"): "n_star_drift"}
                    .get(c, "_".join(c)) for c in wide.columns]
    return wide.reset_index().reindex(columns=[*keys, *cols])


def threshold_table(df: pd.DataFrame, predicted: pd.DataFrame, level: float,
                    bootstrap: dict) -> pd.DataFrame:
    """Per sweep, setting and N: the simulated n* with its seed-bootstrap percentile interval
    (``n_star_lo``, ``n_star_hi``), the predicted n* of the SDE and of its drift alone, the
    ratio simulated / predicted, whether the prediction lies in the interval, and the z-scores
    on ln n* of the SDE and of the drift alone (``z_pred``, ``z_drift``: ``with_scores``)."""
    thr = thresholds(df, level)
    boot = bootstrap_n_star(df, level, bootstrap["samples"], bootstrap["seed"])
    q = [(1 - bootstrap["ci"]) / 2, (1 + bootstrap["ci"]) / 2]
    keys = ["spike", *SETTING, "N"]
    ci = boot.groupby(keys, dropna=False)["n_star"].quantile(q).unstack()
    ci.columns = ["n_star_lo", "n_star_hi"]
    out = thr.merge(ci.reset_index(), on=keys, how="left")
    out = out.merge(predicted_thresholds(predicted, level, bootstrap["ci"]), on=[*SETTING, "N"],
                    how="left")
    for col in ("n_star_pred", "n_star_pred_lo", "n_star_pred_hi", "n_star_drift"):
        if col not in out:
            out[col] = math.nan
    out["ratio"] = out["n_star"] / out["n_star_pred"]
    out["within"] = (out["n_star_lo"] <= out["n_star_pred"]) & (out["n_star_pred"] <= out["n_star_hi"])
    out = with_scores(out, bootstrap["ci"])
    return out.sort_values(["sweep", *SETTING[1:], "N"]).reset_index(drop=True)


def with_scores(table: pd.DataFrame, ci: float) -> pd.DataFrame:
    """Add ``z_pred`` and ``z_drift``: ln(n*/n*_pred) and ln(n*/n*_drift) over the combined
    standard error of ln n*, sqrt(s_sim² + s_pred²), each s read off a ``ci`` interval on the
    log scale as (ln hi − ln lo)/(2 z) (z the normal quantile of ``ci``): the simulation's
    seed-bootstrap interval and the SDE's own Monte-Carlo interval (the drift-only check runs
    the same paths, so it shares the SDE's interval)."""
    z = NormalDist().inv_cdf((1 + ci) / 2)
    out = table.copy()

    def spread(lo, hi):
        return (np.log(out[hi].astype(float)) - np.log(out[lo].astype(float))) / (2 * z)

    se = np.sqrt(spread("n_star_lo", "n_star_hi") ** 2
                 + spread("n_star_pred_lo", "n_star_pred_hi") ** 2)
    log_sim = np.log(out["n_star"].astype(float))
    out["z_pred"] = (log_sim - np.log(out["n_star_pred"].astype(float))) / se
    out["z_drift"] = (log_sim - np.log(out["n_star_drift"].astype(float))) / se
    return out


def score_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per sweep and over all (sweep ``all``): the cells with a finite score, Σ z² of the SDE
    (``chi2_pred``) and of the drift alone (``chi2_drift``) on ln n* (``with_scores``), and
    the mean ln(n*/n*_pred) (``log_ratio``: > 0 when the simulation is slower)."""
    ok = table[np.isfinite(table["z_pred"]) & np.isfinite(table["z_drift"])]

    def row(name, t):
        return dict(sweep=name, cells=len(t), chi2_pred=float((t["z_pred"] ** 2).sum()),
                    chi2_drift=float((t["z_drift"] ** 2).sum()),
                    log_ratio=float(np.log(t["ratio"].astype(float)).mean()))

    rows = [row(name, t) for name, t in ok.groupby("sweep", sort=True)]
    return pd.DataFrame([*rows, row("all", ok)])
