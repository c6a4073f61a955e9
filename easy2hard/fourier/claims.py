"""Claims of the fourier stage (docs/stages/fourier.md, "Claims"): the classifier's phase
threshold n* against N, and the effect of a power-law spectrum on it.

Both read the per-seed passages table (``fourier/classifier/passages.parquet``: N, alpha,
seed, n_star (NaN = censored at the budget), oracle_error). A censored seed is ``+inf`` in
every bootstrap replicate (``easy2hard.core.claims``), never dropped.

*One task across N.* N is in the fitted range when the planted neuron's error at that N is
within ``oracle_tolerance`` of its error at the largest N: N = 8 (one spike per signal, planted
error 0.15 against 0.33) is another task and is left out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core import claims as cc
from ..core.tables import read_parquets

#: the readout value of a run normalised by the neuron's own variance (issue: readout column)
NORMALISED = ("normalised", "normalized")


def passages(inputs: dict) -> pd.DataFrame:
    """The passages table with censored n* as ``+inf``."""
    df = read_parquets(inputs["passages"])
    return df.assign(n_star=df["n_star"].astype(float).fillna(math.inf))


def same_task(df: pd.DataFrame, alpha: float, tolerance: float) -> list[int]:
    """The N whose planted-neuron error at ``alpha`` is within ``tolerance`` of its error at
    the largest N (the same task), ascending."""
    oracle = df[df["alpha"] == alpha].groupby("N")["oracle_error"].mean().sort_index()
    if oracle.empty:
        return []
    return [int(N) for N, e in oracle.items() if abs(e - oracle.iloc[-1]) <= tolerance]


def seeds_by_N(df: pd.DataFrame, alpha: float, Ns) -> list[np.ndarray]:
    sub = df[df["alpha"] == alpha]
    return [sub.loc[sub["N"] == N, "n_star"].to_numpy(float) for N in Ns]


def predicted_band(Ns, tolerance: float) -> tuple[float, float]:
    """Local exponent of N³ (3) up to that of N³ ln² N (3 + 2/ln N at the geometric mean of
    the fitted N), widened by ``tolerance``."""
    mid = math.exp(np.mean(np.log(Ns)))
    return 3.0 - tolerance, 3.0 + 2.0 / math.log(mid) + tolerance


def _fit(df, alpha, Ns, lv: cc.Levels, level: float):
    return cc.slope_interval(np.asarray(Ns, float), seeds_by_N(df, alpha, Ns), level,
                             lv.samples, lv.seed)


def fit_readout_rows(df: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """The rows of one readout for the exponent: the one run at the most N at ``alpha`` (the
    flat-only N run the first configured readout), he4 on a tie; all rows without a column."""
    if "readout" not in df:
        return df
    counts = df[df["alpha"] == alpha].groupby("readout")["N"].nunique()
    if counts.empty:
        return df
    best = max(counts.index, key=lambda r: (counts[r], r == "he4"))
    return df[df["readout"] == best]


def phase_exponent(inputs: dict, options: dict) -> cc.Evaluation:
    """Slope of ln(median n*) on ln N at ``alpha`` over the same-task N (band: N³ to
    N³ ln² N); control: the slope over every N of the table (tasks mixed)."""
    lv, alpha = cc.Levels.from_options(options), float(options["alpha"])
    df = fit_readout_rows(passages(inputs), alpha)
    Ns = same_task(df, alpha, options["oracle_tolerance"])
    all_Ns = sorted(int(N) for N in df.loc[df["alpha"] == alpha, "N"].unique())
    if not Ns:
        return cc.Evaluation("inconclusive", f"no classifier cell at alpha = {alpha:g}")
    per_N = seeds_by_N(df, alpha, Ns)
    n_seeds = min(len(v) for v in per_N)
    est, lo, hi = _fit(df, alpha, Ns, lv, lv.level) if len(Ns) >= 2 else (cc.NAN,) * 3
    ctl = _fit(df, alpha, all_Ns, lv, lv.level) if len(all_Ns) >= 2 else (cc.NAN,) * 3
    numbers = dict(estimate=est, lo=lo, hi=hi, control_estimate=ctl[0], control_lo=ctl[1],
                   control_hi=ctl[2], n_seeds=n_seeds)
    medians = [cc.censored_median(v) for v in per_N]
    fitted = (f"slope {cc.fmt(est)} {cc.interval_text(lo, hi)} over the same-task N = "
              f"{', '.join(map(str, Ns))}; every N {all_Ns}: {cc.fmt(ctl[0])} "
              f"{cc.interval_text(ctl[1], ctl[2])}")
    failed = [N for N, m in zip(Ns, medians) if math.isinf(m)]
    why = cc.gate(n_seeds=n_seeds, calibrated=not failed, points=len(Ns),
                  calibration=f"median n* censored (over half the seeds never reach e*) at N = {failed}")
    if why is None and Ns[-1] / Ns[0] < options["min_range"]:
        why = f"fitted range N = {Ns[0]}..{Ns[-1]} spans less than {options['min_range']:g}×"
    if why:
        return cc.Evaluation("inconclusive", f"{why}; {fitted}", **numbers)
    band = predicted_band(Ns, options["band_tolerance"])
    wide = _fit(df, alpha, Ns, lv, lv.refute_level)[1:]
    verdict, text = cc.band_verdict((lo, hi), wide, band, "exponent")
    return cc.Evaluation(verdict, f"{text}; {fitted}", **numbers)


def amplitudes(N: int, alpha: float) -> np.ndarray:
    """A(k) ∝ min(k, N − k)^-α for k = 1..N−1 with Σ A² = N² (``synthetic.spectrum`` without
    its zero frequency, in numpy: the claims job does not import torch)."""
    k = np.arange(1, N, dtype=float)
    A = np.minimum(k, N - k) ** (-float(alpha))
    return A * (N / math.sqrt(np.sum(np.square(A))))


def readout_variance(N: int, alpha: float) -> float:
    """var(h) of the planted whitened neuron u ∝ C^{-1/2} e₀ (‖u‖ = 1) under the spectrum
    |k|^-α: uᵀCu = (N − 1) / Σ_{k≠0} N / A_k². The He₄(h)/√24 readout is matched to
    var(h) = 1; its data-against-clone contrast scales as var(h)²."""
    return float((N - 1) / np.sum(N / amplitudes(N, alpha) ** 2))


def log_ratio(arrays: list[np.ndarray]) -> float:
    """Mean over N of ln median n*(α) − ln median n*(0); arrays alternate (α, 0) per N.
    A censored numerator gives +inf, a censored denominator −inf, both nan (open)."""
    with np.errstate(invalid="ignore"):
        terms = [math.log(cc.censored_median(a)) - math.log(cc.censored_median(b))
                 if not (math.isinf(cc.censored_median(a)) and math.isinf(cc.censored_median(b)))
                 else cc.NAN for a, b in zip(arrays[::2], arrays[1::2])]
    return float(np.mean(terms))


def _ratio(df, alpha, Ns, lv: cc.Levels, level: float):
    cells = [v for N in Ns for v in (*seeds_by_N(df, alpha, [N]), *seeds_by_N(df, 0.0, [N]))]
    est, lo, hi = cc.group_bootstrap(cells, log_ratio, level, lv.samples, lv.seed)
    return math.exp(est) if not math.isnan(est) else est, math.exp(lo), math.exp(hi)


def _point_ratio(df, alpha, Ns) -> float:
    cells = [v for N in Ns for v in (*seeds_by_N(df, alpha, [N]), *seeds_by_N(df, 0.0, [N]))]
    return math.exp(log_ratio(cells))


def _readout_rows(df: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """The normalised-readout runs if the table has them, else the table (and False)."""
    if "readout" in df and df["readout"].isin(NORMALISED).any():
        return df[df["readout"].isin(NORMALISED)], True
    return df, False


def spectrum_speeds_phase_learning(inputs: dict, options: dict) -> cc.Evaluation:
    """n*(α) / n*(0) (geometric mean over the same-task N of the median ratio, α = the
    smallest α > 0) < 1; control: the readout's var(h)² contrast factor at that α."""
    lv = cc.Levels.from_options(options)
    df, normalised = _readout_rows(passages(inputs))
    Ns = same_task(df, 0.0, options["oracle_tolerance"])
    alphas = sorted(a for a in df["alpha"].unique() if a > 0)
    if not Ns or not alphas:
        return cc.Evaluation("inconclusive", "needs alpha = 0 and some alpha > 0 at the same N")
    alpha = float(alphas[0])
    est, lo, hi = _ratio(df, alpha, Ns, lv, lv.level)
    n_seeds = int(df[df["N"].isin(Ns)].groupby(["N", "alpha"])["seed"].nunique().min())
    contrast = (readout_variance(Ns[-1], alpha) / readout_variance(Ns[-1], 0.0)) ** 2
    others = ", ".join(f"α = {a:g}: {cc.fmt(_point_ratio(df, a, Ns))}" for a in alphas[1:])
    which = ("normalised readout (contrast independent of α); the he4 readout's" if normalised
             else "the readout's")
    text = (f"n*(α = {alpha:g}) / n*(0) = {cc.fmt(est)} {cc.interval_text(lo, hi)} over N = "
            f"{Ns}" + (f" ({others})" if others else "") + f"; {which} contrast at "
            f"N = {Ns[-1]} is {contrast:.2g}× that at α = 0 (var(h) = "
            f"{readout_variance(Ns[-1], alpha):.2f})")
    numbers = dict(estimate=est, lo=lo, hi=hi, control_estimate=contrast, n_seeds=n_seeds)
    oracle = df[df["N"].isin(Ns)].groupby("alpha")["oracle_error"].mean()
    harder = float(oracle.max() - oracle.loc[0.0]) > options["oracle_tolerance"]
    base = [cc.censored_median(v) for v in seeds_by_N(df, 0.0, Ns)]
    why = cc.gate(n_seeds=n_seeds, calibrated=not (harder or any(map(math.isinf, base))),
                  calibration="the α = 0 cells do not learn or the planted neuron errs more at α > 0")
    if why is None and not normalised:
        why = ("the readout He₄(w·x)/√24 confounds α (contrast ∝ var(h)²); the normalised "
               "readout is not in the table")
    if why:
        return cc.Evaluation("inconclusive", f"{why}; {text}", **numbers)
    wide = _ratio(df, alpha, Ns, lv, lv.refute_level)[1:]
    verdict, vtext = cc.band_verdict((lo, hi), wide, (0.0, 1.0), "n* ratio")
    return cc.Evaluation(verdict, f"{vtext}; {text}", **numbers)
