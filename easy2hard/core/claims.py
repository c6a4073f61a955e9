"""Decision rules of the claims: intervals over seeds, censoring, slopes and verdicts.

A claim (``easy2hard.<domain>.claims``) reads a stage's tables and returns one
``Evaluation``: an estimate with its interval, the control's estimate with its interval, the
number of independent seeds and a verdict, ``supported``, ``refuted`` or ``inconclusive``,
with a one-line reason. The rules every claim shares live here (docs/science.md, "Claims"):

- an interval over seeds is a t-interval below ``BOOTSTRAP_FROM`` = 8 seeds (a bootstrap of 3
  seeds has 10 distinct resamples) and a percentile bootstrap of the seeds from 8 on;
- where training is random, fewer than ``MIN_SEEDS`` = 3 seeds is ``inconclusive``;
- a calibration that failed is ``inconclusive``;
- a censored value (a run that never crossed its threshold) is ``+inf`` in every bootstrap
  replicate; a replicate whose statistic is censored stays censored, so an interval's upper
  end may be open (``+inf``);
- a slope is fitted over a named range and is ``inconclusive`` below ``MIN_POINTS`` = 3 points;
- ``supported`` needs the interval at the claim level inside the predicted band;
  ``refuted`` needs the interval at the family-wise level (Bonferroni over the claims of the
  run) to miss the band entirely; anything else is ``inconclusive``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

VERDICTS = ("supported", "refuted", "inconclusive")
MIN_SEEDS = 3
BOOTSTRAP_FROM = 8
MIN_POINTS = 3
NAN = float("nan")


@dataclass(frozen=True)
class Evaluation:
    """What a claim's evaluate function returns (one row of ``claims/<stage>.parquet``)."""

    verdict: str
    reason: str
    estimate: float = NAN
    lo: float = NAN
    hi: float = NAN
    control_estimate: float = NAN
    control_lo: float = NAN
    control_hi: float = NAN
    n_seeds: int = 0

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict {self.verdict!r} is not one of {VERDICTS}")

    def row(self) -> dict:
        return {k: (float(v) if isinstance(v, (float, np.floating)) else v)
                for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Levels:
    """The claim level (intervals reported) and the family-wise level a refutation needs."""

    level: float = 0.95
    refute_level: float = 0.95
    samples: int = 2000
    seed: int = 0

    @classmethod
    def from_options(cls, options: dict) -> "Levels":
        boot = options.get("bootstrap", {})
        return cls(options["level"], options["refute_level"], boot.get("samples", 2000),
                   boot.get("seed", 0))


def counts_text(verdicts) -> str:
    """``9 supported, 2 refuted, 12 inconclusive``: the verdict counts of a run."""
    verdicts = list(verdicts)
    return ", ".join(f"{verdicts.count(v)} {v}" for v in VERDICTS)


def bonferroni(alpha: float, family: int) -> float:
    """The level of each interval when ``family`` claims share the error rate ``alpha``."""
    return 1.0 - alpha / max(int(family), 1)


# ---------------------------------------------------------------- intervals

def quantiles(replicates, level: float) -> tuple[float, float]:
    """Percentile interval of bootstrap replicates; ``+inf`` (censored) replicates count as
    above every finite one and ``nan`` (censored in an unknown direction) as outside on both
    sides, so the interval opens rather than drops them."""
    reps = np.asarray(replicates, dtype=float)
    q = (1 - level) / 2
    lo = np.quantile(np.where(np.isnan(reps), -np.inf, reps), q, method="inverted_cdf")
    hi = np.quantile(np.where(np.isnan(reps), np.inf, reps), 1 - q, method="inverted_cdf")
    return float(lo), float(hi)


def t_half_width(se, dof: int, level: float):
    """Half-width of a Student-t interval at ``level`` for a standard error ``se``."""
    from scipy import stats

    return stats.t.ppf(0.5 + level / 2, dof) * se


def t_interval(values, level: float) -> tuple[float, float, float]:
    """Mean and Student-t interval of independent values (needs two or more)."""
    v = np.asarray(values, dtype=float)
    mean = float(v.mean())
    if len(v) < 2:
        return mean, NAN, NAN
    half = t_half_width(v.std(ddof=1) / math.sqrt(len(v)), len(v) - 1, level)
    return mean, float(mean - half), float(mean + half)


def seed_interval(values, level: float, samples: int = 2000, seed: int = 0):
    """Mean over seeds with its interval: t below ``BOOTSTRAP_FROM`` seeds, else a seeded
    percentile bootstrap of the mean. Returns (mean, lo, hi)."""
    v = np.asarray(values, dtype=float)
    if len(v) < BOOTSTRAP_FROM:
        return t_interval(v, level)
    rng = np.random.default_rng(seed)
    reps = v[rng.integers(0, len(v), size=(samples, len(v)))].mean(axis=1)
    return (float(v.mean()), *quantiles(reps, level))


def censored_median(values) -> float:
    """The median of values where ``+inf`` marks a censored run (the lower middle value for
    an even count): censored when more than half the runs are. No interpolation, so no
    nan from inf − inf."""
    v = np.asarray(values, dtype=float).ravel()
    if not len(v):
        return NAN
    k = (len(v) + 1) // 2 - 1  # the inverted-CDF median: the ceil(n/2)-th smallest value
    return float(np.partition(v, k)[k])


def median_interval(values, level: float, samples: int = 2000, seed: int = 0):
    """Median over seeds (``+inf`` = censored) with a seed-bootstrap interval in which every
    censored run stays censored in every replicate. Returns (median, lo, hi)."""
    v = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    reps = np.quantile(np.sort(v[rng.integers(0, len(v), size=(samples, len(v)))], axis=1),
                       0.5, axis=1, method="inverted_cdf")
    return (censored_median(v), *quantiles(reps, level))


def log_slope(x, y) -> float:
    """Least-squares slope of log y on log x. A censored point (``y = +inf``) makes the slope
    censored: ``+inf`` when every censored point lies above every finite one in x (the slope
    can only be larger), ``-inf`` when below, ``nan`` (open both ways) otherwise."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    cens = np.isinf(y)
    if cens.any():
        if cens.all():
            return NAN
        if x[cens].min() > x[~cens].max():
            return math.inf
        if x[cens].max() < x[~cens].min():
            return -math.inf
        return NAN
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def group_bootstrap(groups, statistic, level: float, samples: int = 2000, seed: int = 0):
    """``statistic(list of arrays)`` with a seeded bootstrap that resamples the values (seeds)
    of each group independently (each group is its own set of runs). Censored values
    (``+inf``) stay censored in every replicate; replicates go through ``quantiles``, so a
    censored replicate opens the interval rather than being dropped. Returns (value, lo, hi)."""
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(v, dtype=float) for v in groups]
    reps = np.empty(samples)
    for b in range(samples):
        reps[b] = statistic([v[rng.integers(0, len(v), len(v))] for v in arrays])
    return (float(statistic(arrays)), *quantiles(reps, level))


def _resampled_medians(values, samples: int, rng) -> np.ndarray:
    """The censored median of ``samples`` seed resamples of ``values`` (one per replicate)."""
    v = np.asarray(values, dtype=float)
    draws = np.sort(v[rng.integers(0, len(v), size=(samples, len(v)))], axis=1)
    return np.quantile(draws, 0.5, axis=1, method="inverted_cdf")


def slope_interval(x, per_x, level: float, samples: int = 2000, seed: int = 0):
    """Slope of log median(seeds at x) against log x, with a bootstrap that resamples the
    seeds of each x independently (each x is its own set of runs). Censored runs (``+inf``)
    stay censored in every replicate (``log_slope``). Returns (slope, lo, hi)."""
    rng = np.random.default_rng(seed)
    point = log_slope(x, [censored_median(v) for v in per_x])
    medians = np.stack([_resampled_medians(v, samples, rng) for v in per_x], axis=1)
    return (point, *quantiles(log_slopes(x, medians), level))


def log_slopes(x, Y) -> np.ndarray:
    """``log_slope`` of every row of ``Y`` (replicates × x), vectorised."""
    lx = np.log(np.asarray(x, dtype=float))
    Y = np.asarray(Y, dtype=float)
    cens = np.isinf(Y)
    ly = np.log(np.where(cens, 1.0, Y))
    dx = lx - lx.mean()
    out = (ly - ly.mean(axis=1, keepdims=True)) @ dx / (dx @ dx)
    for i in np.flatnonzero(cens.any(axis=1)):
        out[i] = log_slope(x, Y[i])
    return out


# ---------------------------------------------------------------- verdicts

def fmt(value: float) -> str:
    if isinstance(value, (int, np.integer)):
        return str(value)
    if math.isnan(value):
        return "nan"
    return "∞" if value == math.inf else "−∞" if value == -math.inf else f"{value:.3g}"


def interval_text(lo: float, hi: float) -> str:
    return f"[{fmt(lo)}, {fmt(hi)}]"


def gate(n_seeds: int | None = None, calibrated: bool | None = None, calibration: str = "",
         points: int | None = None) -> str | None:
    """The reason a claim cannot be decided, or None: too few seeds (``n_seeds`` None for a
    deterministic claim, exempt), a failed calibration, or a fit over too few points."""
    if n_seeds is not None and n_seeds < MIN_SEEDS:
        return f"{n_seeds} seed{'s' if n_seeds != 1 else ''} (a training claim needs ≥ {MIN_SEEDS})"
    if calibrated is False:
        return f"calibration failed: {calibration}"
    if points is not None and points < MIN_POINTS:
        return f"fit over {points} point{'s' if points != 1 else ''} (needs ≥ {MIN_POINTS})"
    return None


def band_verdict(interval: tuple[float, float], wide: tuple[float, float],
                 band: tuple[float, float], what: str = "estimate") -> tuple[str, str]:
    """``supported`` if ``interval`` (claim level) lies inside ``band``; ``refuted`` if
    ``wide`` (family-wise level) misses it; else ``inconclusive``."""
    (lo, hi), (wlo, whi), (blo, bhi) = interval, wide, band
    band_text = interval_text(blo, bhi)
    if blo <= lo and hi <= bhi:
        return "supported", f"{what} {interval_text(lo, hi)} inside the predicted {band_text}"
    if whi < blo or wlo > bhi:
        return "refuted", (f"{what} {interval_text(wlo, whi)} (family-wise) outside the "
                           f"predicted {band_text}")
    return "inconclusive", f"{what} {interval_text(lo, hi)} overlaps the edge of {band_text}"


def positive_verdict(interval: tuple[float, float], wide: tuple[float, float],
                     what: str = "difference") -> tuple[str, str]:
    """An ordering: ``supported`` if the difference is positive beyond its interval,
    ``refuted`` if negative beyond its family-wise interval, else ``inconclusive``."""
    (lo, hi), (wlo, whi) = interval, wide
    if lo > 0:
        return "supported", f"{what} > 0: {interval_text(lo, hi)}"
    if whi < 0:
        return "refuted", f"{what} < 0: {interval_text(wlo, whi)} (family-wise)"
    return "inconclusive", f"{what} {interval_text(lo, hi)} includes 0"


def chi2_score(z, level: float = 0.95) -> tuple[float, float]:
    """Σ z² over cells and its χ² bound at ``level`` with one degree of freedom per cell."""
    from scipy import stats

    z = np.asarray(z, dtype=float)
    return float(np.sum(z ** 2)), float(stats.chi2.ppf(level, len(z)))


def log_sigma(lo, hi, level: float):
    """The standard error on the log scale that a normal ``level`` interval [lo, hi] of a
    positive quantity implies: ln(hi/lo) / (2 z), z the normal quantile of (1 + level)/2."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf((1 + level) / 2)
    return np.log(np.asarray(hi, dtype=float) / np.asarray(lo, dtype=float)) / (2 * z)
