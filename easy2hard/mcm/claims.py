"""The MCM stage's claims: the threshold exponent of each sweep against the theory's k*.

``exponent`` (claims ``mcm.covariance_exponent``, ``mcm.cumulant_exponent``,
``mcm.correlated_exponent``) reads one sweep's cells and its k* table. Per N, n* is the first
passage of the seed-mean overlap through ``level`` (``analysis.thresholds``); the estimate is
the least-squares slope of ln(n* / ln N) on ln N where the theory's n* carries a ln N factor
(of ln n* on ln N otherwise), so that it is compared with the theory's exponent itself. Its
interval is a seed bootstrap (``analysis.bootstrap_n_star``, seeds resampled independently per
N) in which a replicate whose mean curve never crosses at some N is censored (``+inf``) and
kept: its slope is open on the side the censoring allows (``core.claims.log_slope``), so
the interval opens rather than drops it.

Prediction: the theory's exponent ± ``tolerance``. Control: the slope an optimisation failure
would give, i.e. n* at the budget n_max(N) (the budget's own slope, with the same ln N
treatment); the budgets scale like the theory by design, so this control is ruled out by the
calibration, not by the slope: every N's seed-mean overlap must cross ``level`` within its
budget (else ``inconclusive``, naming the N that did not).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core import claims as C
from ..core.tables import read_parquets
from . import analysis

VERDICT_RANK = {"refuted": 0, "inconclusive": 1, "supported": 2}


def _label(setting: dict) -> str:
    return f"{setting['activation']}, {setting['spike']}"


def _corrected(Ns: np.ndarray, n_star: np.ndarray, log_factor: bool) -> np.ndarray:
    """n* with the theory's ln N factor removed; ``nan`` (no crossing) becomes ``+inf``."""
    n_star = np.where(np.isnan(n_star), math.inf, n_star)
    return n_star / (np.log(Ns) if log_factor else 1.0)


def _setting_replicates(boot: pd.DataFrame, setting: pd.DataFrame, Ns, log_factor) -> np.ndarray:
    """The slope of every bootstrap replicate (censored replicates ±inf or nan)."""
    wide = boot.merge(setting, on=list(setting.columns)).pivot_table(
        index="draw", columns="N", values="n_star", dropna=False).reindex(columns=Ns)
    return np.array([C.log_slope(Ns, _corrected(Ns, row, log_factor))
                     for row in wide.to_numpy(float)])


def setting_exponent(df: pd.DataFrame, boot: pd.DataFrame, exponents: pd.DataFrame,
                     setting: dict, options: dict) -> C.Evaluation:
    """One setting's exponent claim (``df`` its cells, ``boot`` their bootstrap n*)."""
    lv = C.Levels.from_options(options)
    thr = analysis.thresholds(df, options["crossing_level"]).sort_values("N")
    Ns = thr["N"].to_numpy(float)
    expo, log_factor = analysis.theory_exponent(exponents, setting)
    n_seeds = int(df.groupby("N")["seed"].nunique().min())
    budget = C.log_slope(Ns, _corrected(Ns, thr["n_max"].to_numpy(float), log_factor))
    control = {"control_estimate": budget, "control_lo": budget, "control_hi": budget}
    missed = [int(N) for N, n in zip(Ns, thr["n_star"]) if not np.isfinite(n)]
    reason = C.gate(n_seeds=n_seeds, points=len(Ns), calibrated=not missed,
                    calibration=f"the seed-mean overlap never reaches {options['crossing_level']:g}"
                                f" within the budget at N = {missed}")
    if reason is not None:
        return C.Evaluation("inconclusive", reason, n_seeds=n_seeds, **control)
    point = C.log_slope(Ns, _corrected(Ns, thr["n_star"].to_numpy(float), log_factor))
    reps = _setting_replicates(boot, pd.DataFrame([setting])[["spike", *analysis.SETTING]],
                               Ns, log_factor)
    lo, hi = C.quantiles(reps, lv.level)
    band = (expo - options["tolerance"], expo + options["tolerance"])
    verdict, why = C.band_verdict((lo, hi), C.quantiles(reps, lv.refute_level), band,
                                  what="slope")
    fit = (f"ln(n*/ln N) on ln N" if log_factor else "ln n* on ln N") + \
        f" over N = {int(Ns.min())}–{int(Ns.max())} ({len(Ns)} points)"
    used = float((thr["n_star"] / thr["n_max"]).max())
    return C.Evaluation(verdict, f"{why}; theory {expo:g}; {fit}; budget (optimisation "
                        f"failure) slope {C.fmt(budget)}, n* ≤ {used:.2g} of it",
                        estimate=point, lo=lo, hi=hi, n_seeds=n_seeds, **control)


def exponent(inputs: dict, options: dict) -> C.Evaluation:
    """The threshold exponent of the sweep ``options['sweep']`` against the theory's k*
    (module docstring). Settings without a theory exponent (plain SGD, no k*) are skipped; a
    sweep with several settings reports its worst verdict."""
    df = analysis.with_target(read_parquets(inputs["tables"]))
    df = df[df["N"].isin(options["N"])]
    exponents = read_parquets(inputs["exponents"])
    lv = C.Levels.from_options(options)
    boot = analysis.bootstrap_n_star(df, options["crossing_level"], lv.samples, lv.seed)
    results = []
    for key, part in df.groupby(["spike", *analysis.SETTING], dropna=False, sort=True):
        setting = dict(zip(["spike", *analysis.SETTING], key))
        if not np.isfinite(analysis.theory_exponent(exponents, setting)[0]):
            continue  # plain SGD, or no k*: the theory predicts no exponent
        results.append((_label(setting), setting_exponent(part, boot, exponents, setting,
                                                          options)))
    if not results:
        return C.Evaluation("inconclusive", "no setting of the sweep in the N range has a "
                                            "theory exponent")
    label, worst = min(results, key=lambda r: VERDICT_RANK[r[1].verdict])
    if len(results) == 1:
        return worst
    return C.Evaluation(**{**worst.row(), "reason": f"{label} (worst of {len(results)} "
                                                    f"settings): {worst.reason}"})
