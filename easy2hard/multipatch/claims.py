"""Claims of the multipatch stage (docs/stages/multipatch.md, "Claims"): the Θ(n·SNR²) law of
the signal/noise alignment ratio during growth, the paper's stationary state, and the
classifier's switch from noise to signal.

They read the analysis tables ``multipatch/synthetic/{steps,runs}.parquet`` on the n·SNR²
grid (dense signal, the grid's width m and each objective's first width exponent). Runs of one
seed share data, labels and initial filters, so every slope and crossing is computed per
seed and its interval is over seeds (``easy2hard.core.claims.seed_interval``).

*End of growth* (alignment-based, ``phases.growth_end``, also in the stage's ``runs`` and
``fits`` tables): the first logged step at which the signal alignment max_r |⟨w_r, μ⟩|
reaches ``growth_factor`` times its value at initialisation. An n·SNR² at
which some seed never gets there is outside the fitted range (stated in the reason).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core import claims as cc
from ..core.tables import read_parquets
from .phases import complete_range, per_seed_slopes, ratios_at

ZERO_PREDICTOR_LOSS = 1.0  # the DDPM loss per coordinate of f = 0 (phases.py)


def grid_rows(df: pd.DataFrame, objective: str, options: dict) -> pd.DataFrame:
    """The rows of the n·SNR² grid of ``objective``."""
    return df[(df["objective"] == objective) & (df["sparsity"] == 1.0) & (df["m"] == options["m"])
              & (df["width_exponent"] == options["exponents"][objective])]


def slope_over_seeds(values: pd.DataFrame, column: str, lv: cc.Levels):
    """(range, n_seeds, (slope, lo, hi), (wide lo, wide hi)) over the complete range."""
    sub, full = complete_range(values, column)
    n_seeds = int(values["seed"].nunique())
    if len(full) < 2:
        return full, n_seeds, (cc.NAN,) * 3, (cc.NAN,) * 2
    slopes = per_seed_slopes(sub, column)
    return (full, n_seeds, cc.seed_interval(slopes, lv.level, lv.samples, lv.seed),
            cc.seed_interval(slopes, lv.refute_level, lv.samples, lv.seed)[1:])


def _against_initialisation(slope, init, n_seeds: int) -> dict:
    """The Evaluation numbers of a slope claim whose control is the slope at initialisation."""
    return dict(estimate=slope[0], lo=slope[1], hi=slope[2], control_estimate=init[0],
                control_lo=init[1], control_hi=init[2], n_seeds=n_seeds)


def _range_text(full) -> str:
    return f"n·SNR² {cc.fmt(full[0])}..{cc.fmt(full[-1])} ({len(full)} values)" if full else "no n·SNR²"


def growth_law(inputs: dict, options: dict) -> cc.Evaluation:
    """Slope of the ratio at the alignment-based end of growth against n·SNR² (band 1 ±
    tolerance); control: the slope at initialisation; check: a second growth factor."""
    lv = cc.Levels.from_options(options)
    steps = grid_rows(read_parquets(inputs["steps"]), "diffusion", options)
    full, n_seeds, (est, lo, hi), wide = slope_over_seeds(
        ratios_at(steps, options["growth_factor"]), "ratio", lv)
    _, _, check, _ = slope_over_seeds(ratios_at(steps, options["growth_factor_check"]), "ratio", lv)
    _, _, init, _ = slope_over_seeds(ratios_at(steps, None), "ratio", lv)
    numbers = _against_initialisation((est, lo, hi), init, n_seeds)
    text = (f"slope {cc.fmt(est)} {cc.interval_text(lo, hi)} at {options['growth_factor']:g}× the "
            f"initial signal alignment over {_range_text(full)}; at "
            f"{options['growth_factor_check']:g}×: {cc.fmt(check[0])} "
            f"{cc.interval_text(check[1], check[2])}; at initialisation {cc.fmt(init[0])} "
            f"{cc.interval_text(init[1], init[2])}")
    why = cc.gate(n_seeds=n_seeds, calibrated=len(full) >= cc.MIN_POINTS, points=len(full),
                  calibration=f"the signal alignment grows {options['growth_factor']:g}× in every "
                              f"seed at only {len(full)} n·SNR²")
    if why:
        return cc.Evaluation("inconclusive", f"{why}; {text}", **numbers)
    band = (1 - options["tolerance"], 1 + options["tolerance"])
    verdict, vtext = cc.band_verdict((lo, hi), wide, band, "slope")
    if verdict == "supported" and not band[0] <= check[1] <= check[2] <= band[1]:
        verdict, vtext = "inconclusive", f"{vtext}, but not at the second growth factor"
    return cc.Evaluation(verdict, f"{vtext}; {text}", **numbers)


def stationary_state(inputs: dict, options: dict) -> cc.Evaluation:
    """Slope of the converged runs' final ratio against n·SNR² (band 1 ± tolerance);
    control: the final test loss above the zero predictor's (the noise-memorising end state)."""
    lv = cc.Levels.from_options(options)
    runs = grid_rows(read_parquets(inputs["runs"]), "diffusion", options)
    final = runs.assign(ratio=runs["ratio_final"].where(runs["converged"].astype(bool)))
    full, n_seeds, (est, lo, hi), wide = slope_over_seeds(final, "ratio", lv)
    excess = runs[runs["n_snr2"].isin(full)].groupby("seed")["test_loss_final"].mean() - ZERO_PREDICTOR_LOSS
    ctl = (cc.seed_interval(excess.to_numpy(float), lv.level, lv.samples, lv.seed)
           if len(excess) else (cc.NAN,) * 3)
    numbers = dict(estimate=est, lo=lo, hi=hi, control_estimate=ctl[0], control_lo=ctl[1],
                   control_hi=ctl[2], n_seeds=n_seeds)
    converged = int(runs["converged"].astype(bool).sum())
    text = (f"final ratio slope {cc.fmt(est)} {cc.interval_text(lo, hi)} over {_range_text(full)} "
            f"({converged} of {len(runs)} runs converged); final test loss − 1 = {cc.fmt(ctl[0])} "
            f"{cc.interval_text(ctl[1], ctl[2])}")
    why = cc.gate(n_seeds=n_seeds, calibrated=len(full) >= cc.MIN_POINTS, points=len(full),
                  calibration=f"every seed converged at only {len(full)} n·SNR²")
    if why:
        return cc.Evaluation("inconclusive", f"{why}; {text}", **numbers)
    band = (1 - options["tolerance"], 1 + options["tolerance"])
    verdict, vtext = cc.band_verdict((lo, hi), wide, band, "slope")
    return cc.Evaluation(verdict, f"{vtext}; {text}", **numbers)


def log_crossing(g: pd.DataFrame) -> float:
    """ln n·SNR² where ln ratio first crosses 0 (linear in ln n·SNR²); +inf if the ratio stays
    below 1 on the grid, −inf if it is above 1 at the smallest n·SNR²."""
    g = g.sort_values("n_snr2")
    x, y = np.log(g["n_snr2"].to_numpy(float)), np.log(g["ratio"].to_numpy(float))
    if y[0] >= 0:
        return -math.inf
    for i in range(len(y) - 1):
        if y[i] < 0 <= y[i + 1]:
            return float(x[i] - y[i] * (x[i + 1] - x[i]) / (y[i + 1] - y[i]))
    return math.inf


def last_ratios(steps: pd.DataFrame) -> pd.DataFrame:
    return steps.sort_values("step").groupby(["seed", "n_snr2"], as_index=False).last()


def classifier_switch(inputs: dict, options: dict) -> cc.Evaluation:
    """Per seed, the n·SNR² where the classifier's last-step ratio crosses 1 (band: within a
    decade of n·SNR² = 1); control: where the ratio at initialisation crosses 1."""
    lv = cc.Levels.from_options(options)
    steps = grid_rows(read_parquets(inputs["steps"]), "classification", options)
    cross = last_ratios(steps).groupby("seed").apply(log_crossing, include_groups=False).to_numpy(float)
    init = steps.sort_values("step").groupby(["seed", "n_snr2"], as_index=False).first()
    init_cross = init.groupby("seed").apply(log_crossing, include_groups=False).to_numpy(float)
    n_seeds = len(cross)
    exp = lambda t: tuple(math.exp(v) for v in t)  # noqa: E731
    finite = bool(len(cross)) and bool(np.isfinite(cross).all())
    est, lo, hi = exp(cc.seed_interval(cross, lv.level, lv.samples, lv.seed)) if finite else (cc.NAN,) * 3
    ctl = math.exp(cc.censored_median(init_cross)) if len(init_cross) else cc.NAN
    learnt = float(np.isfinite(read_parquets(inputs["runs"]).pipe(grid_rows, "classification", options)
                               ["classifies"]).mean())
    numbers = dict(estimate=est, lo=lo, hi=hi, control_estimate=ctl, n_seeds=n_seeds)
    text = (f"switch at n·SNR² = {cc.fmt(est)} {cc.interval_text(lo, hi)} (per-seed crossings "
            f"{', '.join(cc.fmt(math.exp(c)) for c in cross)}); at initialisation the ratio "
            f"crosses 1 at {cc.fmt(ctl)}; {learnt:.0%} of runs reach training loss 0.1")
    why = cc.gate(n_seeds=n_seeds, calibrated=learnt >= 0.5,
                  calibration="fewer than half the classifier runs reach training loss 0.1")
    if why is None and not finite:
        why = "some seed's ratio does not cross 1 on the grid (censored)"
    if why:
        return cc.Evaluation("inconclusive", f"{why}; {text}", **numbers)
    wide = exp(cc.seed_interval(cross, lv.refute_level, lv.samples, lv.seed))[1:]
    band = (1 / options["switch_decade"], options["switch_decade"])
    verdict, vtext = cc.band_verdict((lo, hi), wide, band, "switch n·SNR²")
    return cc.Evaluation(verdict, f"{vtext}; {text}", **numbers)


def literal_runs(table: pd.DataFrame, fraction: float) -> pd.DataFrame:
    """Per run (seed, n_snr2) of the literal setting: ``diverged`` (a non-finite loss),
    ``diverged_step`` (first logged step with one), ``stationary`` (finite, and its loss moved
    by at most ``fraction`` of its total drop over the last logged interval), the ratio at
    initialisation and at the last step (NaN unless stationary)."""
    rows = []
    for (seed, n), run in table.sort_values("step").groupby(["seed", "n_snr2"]):
        loss = run["loss"].to_numpy(float)
        bad = ~np.isfinite(loss)
        drop = abs(loss[0] - loss[-1])
        still = bool(not bad.any() and len(loss) > 1 and abs(loss[-1] - loss[-2]) <= fraction * drop)
        rows.append({"seed": seed, "n_snr2": n, "diverged": bool(bad.any()),
                     "diverged_step": float(run["step"].to_numpy()[bad][0]) if bad.any() else cc.NAN,
                     "stationary": still, "ratio_init": float(run["ratio"].iloc[0]),
                     "ratio": float(run["ratio"].iloc[-1]) if still else cc.NAN})
    return pd.DataFrame(rows)


def literal_setting(inputs: dict, options: dict) -> cc.Evaluation:
    """Does a stationary state with ratio ∝ n·SNR² exist in the paper's literal setting?
    Refuted if some run in every seed diverges or the family-wise slope interval misses the
    band; supported if every run is stationary and the slope interval is inside it."""
    lv = cc.Levels.from_options(options)
    table = read_parquets(inputs["literal"])
    per_run = literal_runs(table, options["loss_fraction"])
    n_seeds = int(per_run["seed"].nunique())
    _, (est, lo, hi), wide = _two_point_slopes(per_run, "ratio", lv)
    _, init, _ = _two_point_slopes(per_run, "ratio_init", lv)
    grid = grid_rows(read_parquets(inputs["runs"]), "diffusion", options)
    grid = grid[grid["n_snr2"].between(per_run["n_snr2"].min(), per_run["n_snr2"].max())]
    calibrated = bool(len(grid)) and bool(grid["converged"].astype(bool).all())
    reading, lr = table["loss_reading"].iloc[0], float(table["lr_literal"].iloc[0])
    seeds_diverged = int(per_run.groupby("seed")["diverged"].any().sum())
    numbers = _against_initialisation((est, lo, hi), init, n_seeds)
    text = (f"{reading} loss, η = {lr:g}: {int(per_run['diverged'].sum())} of {len(per_run)} runs "
            f"diverged (first non-finite loss logged at step "
            f"{cc.fmt(per_run['diverged_step'].min())}), "
            f"{int(per_run['stationary'].sum())} stationary; final ratio slope {cc.fmt(est)} "
            f"{cc.interval_text(lo, hi)}; at initialisation {cc.fmt(init[0])}")
    why = cc.gate(n_seeds=n_seeds, calibrated=calibrated,
                  calibration="the mean-reading runs over this n·SNR² range do not all converge")
    if why:
        return cc.Evaluation("inconclusive", f"{why}; {text}", **numbers)
    if seeds_diverged == n_seeds:
        return cc.Evaluation("refuted", f"no stationary state: every seed diverges; {text}", **numbers)
    if not per_run["stationary"].all():
        return cc.Evaluation("inconclusive", f"some runs not stationary; {text}", **numbers)
    band = (1 - options["tolerance"], 1 + options["tolerance"])
    verdict, vtext = cc.band_verdict((lo, hi), wide, band, "slope")
    return cc.Evaluation(verdict, f"{vtext}; {text}", **numbers)


def _two_point_slopes(per_run: pd.DataFrame, column: str, lv: cc.Levels):
    """(per-seed slopes, (estimate, lo, hi), (wide lo, wide hi)) of ln ``column`` on
    ln n·SNR² over the seeds with a finite positive value at every n·SNR² (NaN if none)."""
    ok = per_run.groupby("seed")[column].apply(lambda v: bool(np.all(np.isfinite(v) & (v > 0))))
    sub = per_run[per_run["seed"].isin(ok[ok].index)]
    if sub.empty:
        return np.array([]), (cc.NAN,) * 3, (cc.NAN,) * 2
    slopes = per_seed_slopes(sub, column)
    return (slopes, cc.seed_interval(slopes, lv.level, lv.samples, lv.seed),
            cc.seed_interval(slopes, lv.refute_level, lv.samples, lv.seed)[1:])
