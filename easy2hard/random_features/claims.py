"""The random_features stage's claims, decided from its tables (easy2hard.core.claims;
docs/stages/random_features.md).

- ``m1_limit``: the exact finite-d m = 1 errors converge to the derived d = ∞ limit as 1/d:
  the intercept of E_∞ + c/d fitted to the seed means (weighted by their standard errors)
  against the limit (the limit is deterministic; the simulations have seeds);
- ``memorisation_onset``: at m = 1 and the stage's t, the d = ∞ gap ratio (the project's
  half-threshold criterion, §13.5) first exceeds ½ below but within a factor 2 of p = n at
  the smallest ridge, and nowhere from ``ridge_off`` on (a near-ridgeless effect).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core.claims import (Evaluation, Levels, band_verdict, fmt, gate, interval_text,
                           t_half_width, t_interval)
from ..core.tables import read_parquets
from . import regimes
from .plots import convergence_gaps

QUANTITIES = ("test_error", "train_error")


# ---------------------------------------------------------------- m1_limit

def inverse_d_fit(d, mean, sem) -> tuple[float, float, float, int]:
    """Weighted least squares of mean = E_∞ + c/d (weights 1/sem²): (E_∞, its standard error,
    χ², degrees of freedom)."""
    X = np.column_stack([np.ones(len(d)), 1 / np.asarray(d, dtype=float)])
    w = 1 / np.asarray(sem, dtype=float) ** 2
    cov = np.linalg.inv(X.T @ (X * w[:, None]))
    coef = cov @ (X.T @ (w * np.asarray(mean, dtype=float)))
    chi2 = float(np.sum(w * (mean - X @ coef) ** 2))
    return float(coef[0]), float(math.sqrt(cov[0, 0])), chi2, len(d) - 2


def _intercepts(gaps: pd.DataFrame, lv: Levels, n_seeds: int) -> list[dict]:
    """Per (cell, quantity): the fitted intercept over the limit, minus 1, at the claim level
    and the family-wise level (t quantiles with n_seeds − 1 degrees of freedom), and χ²."""
    from scipy import stats

    rows = []
    for key, g in gaps.groupby(["psi_n", "psi_p", "lambda", "quantity"]):
        g = g.sort_values("d")
        e_inf, se, chi2, dof = inverse_d_fit(g["d"], g["mean"].to_numpy(), g["sem"].to_numpy())
        limit = float(g["limit"].iloc[0])

        def rel(level):
            half = t_half_width(se, n_seeds - 1, level)
            return ((e_inf - half) / limit - 1, (e_inf + half) / limit - 1)

        first = g.iloc[0]
        rows.append({"key": key, "rel": e_inf / limit - 1, "ci": rel(lv.level),
                     "wide": rel(lv.refute_level), "chi2": chi2, "dof": dof,
                     "chi2_max": float(stats.chi2.ppf(0.999, dof)) if dof > 0 else math.inf,
                     "d_min": int(first["d"]), "gap_min": first["gap"] / limit,
                     "gap_half": t_half_width(first["sem"], n_seeds - 1, lv.level) / limit})
    return rows


def m1_limit(inputs: dict, options: dict) -> Evaluation:
    """Supported iff every (cell, quantity)'s fitted intercept lies within ± ``tolerance``
    (relative) of the derived limit at the claim level and the 1/d fit passes its χ² test
    (99.9 %); refuted iff one intercept's family-wise interval misses the band. Estimate: the
    intercept furthest from its limit (relative deviation). Control: the relative gap at the
    smallest d (no extrapolation), for the cell where it is largest."""
    lv = Levels.from_options(options)
    gaps = convergence_gaps(read_parquets(inputs["convergence"]))
    gaps = gaps[gaps["quantity"].isin(QUANTITIES)]
    n_seeds = int(gaps["seeds"].min()) if len(gaps) else 0
    n_d = int(gaps["d"].nunique()) if len(gaps) else 0
    why = gate(n_seeds=n_seeds, points=n_d)
    if why:
        return Evaluation("inconclusive", why, n_seeds=n_seeds)
    band = (-options["tolerance"], options["tolerance"])
    rows = _intercepts(gaps, lv, n_seeds)
    verdicts = [band_verdict(r["ci"], r["wide"], band)[0] for r in rows]
    bad_fit = [r for r in rows if r["chi2"] > r["chi2_max"]]
    verdict = ("refuted" if "refuted" in verdicts else
               "supported" if all(v == "supported" for v in verdicts) and not bad_fit else
               "inconclusive")
    worst = max(rows, key=lambda r: abs(r["rel"]))
    control = max(rows, key=lambda r: abs(r["gap_min"]))
    texts = [f"ψ_n = {fmt(r['key'][0])}, ψ_p = {fmt(r['key'][1])} {r['key'][3]}: "
             f"{fmt(r['rel'])} {interval_text(*r['ci'])}, χ² {fmt(r['chi2'])}/{r['dof']}"
             for r in rows]
    reason = (f"intercept of E_∞ + c/d over d = {sorted(gaps['d'].unique().tolist())} "
              f"relative to the limit: " + "; ".join(texts)
              + f"; band {interval_text(*band)}" + (f"; {len(bad_fit)} fit(s) fail χ²" if bad_fit
                                                    else "")
              + f"; control, gap at d = {control['d_min']}: {fmt(control['gap_min'])} "
              f"± {fmt(control['gap_half'])}")
    return Evaluation(verdict, reason, estimate=worst["rel"], lo=worst["ci"][0],
                      hi=worst["ci"][1], control_estimate=control["gap_min"],
                      control_lo=control["gap_min"] - control["gap_half"],
                      control_hi=control["gap_min"] + control["gap_half"], n_seeds=n_seeds)


# ---------------------------------------------------------------- memorisation_onset

def finite_crossings(phase: pd.DataFrame, lam: float) -> np.ndarray:
    """The finite-d crossings ψ_p*/ψ_n of the seed-mean gap ratio at m = 1 (the control);
    nan where the ratio is above ½ from the grid's start (left-censored) or never."""
    cross = regimes.crossover(phase[phase["m"] == 1], lam)
    at_start = cross["psi_p_cross"] <= phase["psi_p"].min()
    return (cross["psi_p_cross"].where(~at_start) / cross["psi_n"]).to_numpy()


def memorisation_onset(inputs: dict, options: dict) -> Evaluation:
    """Deterministic (the d = ∞ limit). Supported iff at the smallest λ every ψ_n whose grid
    starts below ½ crosses within ``band`` (ψ_p*/ψ_n) and at λ = ``ridge_off`` the largest
    ratio over the grid is below ½; refuted iff a resolved crossing lies outside the band or is
    missing, or the ratio at ``ridge_off`` reaches ½. Calibration: the true score's gap ratio
    in the finite-d table is within ± ``true_tolerance`` of 0 on average."""
    phase = read_parquets(inputs["phase"])
    phase = phase[(phase["activation"] == options["activation"]) & (phase["t"] == options["t"])]
    if phase.empty or options["ridge_off"] not in set(phase["lambda"]):
        return Evaluation("inconclusive", "this config has no phase diagram at the stage's "
                          f"(activation, t) with λ = {fmt(options['ridge_off'])}")
    true = float(phase["gap_ratio_true"].mean())
    why = gate(calibrated=abs(true) <= options["true_tolerance"],
               calibration=f"the true score's mean gap ratio is {fmt(true)}")
    if why:
        return Evaluation("inconclusive", why)
    lam0 = float(phase["lambda"].min())
    psi_n = sorted(phase["psi_n"].unique())
    lambdas = sorted({lam0, options["ridge_off"],
                      *(v for v in phase["lambda"].unique() if v < options["ridge_off"])})
    table = regimes.onset_table(psi_n, (phase["psi_p"].min(), phase["psi_p"].max()), lambdas,
                        options["t"], options["activation"], options["points"])
    return _onset_verdict(table, lam0, {**options, "phase_d": int(phase["d"].iloc[0])},
                          finite_crossings(phase, lam0), true)


def _onset_verdict(table: pd.DataFrame, lam0: float, options: dict, finite: np.ndarray,
                   true: float) -> Evaluation:
    near = table[(table["lambda"] == lam0) & ~table["censored"]]
    off = table[table["lambda"] == options["ridge_off"]]
    lo_b, hi_b = options["band"]
    cross = near["cross"].to_numpy()
    if not len(cross):
        return Evaluation("inconclusive", "every ψ_n starts above ½: no crossing resolved")
    missing = int(np.isnan(cross).sum())
    found = cross[~np.isnan(cross)]
    inside = bool(not missing and np.all((found >= lo_b) & (found <= hi_b)))
    off_max = float(off["max_ratio"].max())
    verdict = "supported" if inside and off_max < regimes.THRESHOLD else "refuted"
    est, lo, hi = ((float(np.median(found)), float(found.min()), float(found.max()))
                   if len(found) else (math.nan, math.nan, math.nan))
    fin = finite[np.isfinite(finite)]
    control = ((float(np.median(fin)), float(fin.min()), float(fin.max())) if len(fin)
               else (math.nan, math.nan, math.nan))
    per = ", ".join(f"{fmt(r.psi_n)}: {fmt(r.cross)}" for r in near.itertuples())
    censored = table[(table["lambda"] == lam0) & table["censored"]]["psi_n"].tolist()
    if censored:
        per += f" (above ½ from the grid's start at ψ_n = {', '.join(map(fmt, censored))})"
    maxima = table.groupby("lambda")["max_ratio"].max()
    reason = (f"d = ∞ crossings ψ_p*/ψ_n at λ = {fmt(lam0)} (ψ_n: value) {per}"
              f"{f' ({missing} never cross)' if missing else ''}, band {interval_text(lo_b, hi_b)}; "
              f"largest ratio " + ", ".join(f"{fmt(v)} at λ = {fmt(k)}" for k, v in maxima.items())
              + f"; control d = {options['phase_d']} seed-mean crossings "
              f"{interval_text(*control[1:])}; true-score ratio {fmt(true)}")
    return Evaluation(verdict, reason, estimate=est, lo=lo, hi=hi, control_estimate=control[0],
                      control_lo=control[1], control_hi=control[2], n_seeds=0)
