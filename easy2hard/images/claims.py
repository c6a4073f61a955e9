"""Claims of the images stage (docs/stages/images.md, "Claims"): when the U-Net's loss on the
Gaussian clone departs from its test loss, which higher-order part departs first, whether the
pair-wise part comes before, and whether the U-Net reaches the Wiener (pair-wise optimal) loss.

They read one run's merged evaluation table (``unet/{dataset}/{run}/losses.parquet``: per seed,
step, set and t the loss, ``diff_to_test`` = loss(set) − loss(test) with its image-sampling
s.e., and the Wiener denoiser's ``wiener_loss``, ``wiener_diff_to_test``, ``diff_minus_wiener``)
at one noise level t. Every interval that decides is over the run's training seeds
(``easy2hard.core.claims.seed_interval``): with fewer than 3 the claims are ``inconclusive``.
With one seed the estimates are still computed, from image-sampling intervals (mean ± z·s.e.),
and the reason says so: those are not training intervals.

The parts of the test-to-Gaussian gap (per seed and checkpoint):
- phase part P = loss(amplitude_whitened) − loss(test): randomising the phases with the
  covariance kept;
- per-image amplitude part A = loss(twin of amplitude_whitened) − loss(amplitude_whitened):
  also randomising each image's amplitudes, against N(μ, Σ) of the amplitude_whitened set
  itself (``twin_amplitude_whitened``, docs/science.md §7.8); a table without that twin uses
  meancov, the test set's twin (P + A = loss(meancov) − loss(test)).

``clone_order`` decides at the deciding checkpoints: the first checkpoint at which P or A is
positive beyond its seed interval, and the checkpoints either side of it. It is supported (for
either order) only if P − A lies beyond its seed interval with one sign at every one of them;
otherwise it is inconclusive (docs/science.md §14). ``unet_beats_wiener`` states each k at the
last step it was evaluated at; a k evaluated only at earlier checkpoints (a sparse k of the
dense checkpoint grid) is censored and decides nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..core import claims as cc
from ..core.tables import read_parquets

#: sets whose gap the claims read; the two clones that change the covariance
SETS = ("meancov", "amplitude_whitened", "amplitude", "phase")
COVARIANCE_CLONES = ("amplitude", "phase")


def losses(inputs: dict, t: str) -> pd.DataFrame:
    df = read_parquets(inputs["losses"])
    return df[df["t"].astype(str) == str(t)]


def wide_table(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """(seed, step) × set of one column."""
    return df.pivot_table(index=["seed", "step"], columns="set", values=column)


#: the Gaussian that the per-image amplitude part A is measured against, first found
AMPLITUDE_BASES = ("twin_amplitude_whitened", "meancov")


def amplitude_base(df: pd.DataFrame) -> str:
    """The set A is measured against: the twin of amplitude_whitened where evaluated."""
    return next(b for b in AMPLITUDE_BASES if b in set(df["set"]))


def parts(df: pd.DataFrame) -> pd.DataFrame:
    """Per (seed, step): the meancov gap G, the parts P and A (against ``amplitude_base``),
    P − A, their image-sampling s.e. (A's and P − A's without the covariance of the paired
    differences), and the U-Net − Wiener distance of the covariance-changing clones."""
    gap, se = wide_table(df, "diff_to_test"), wide_table(df, "diff_to_test_se")
    base = amplitude_base(df)
    out = pd.DataFrame({"G": gap["meancov"], "P": gap["amplitude_whitened"],
                        "A": gap[base] - gap["amplitude_whitened"],
                        "G_se": se["meancov"], "P_se": se["amplitude_whitened"]})
    out["A_se"] = np.hypot(se[base], se["amplitude_whitened"])
    out["D"] = out["P"] - out["A"]
    out["D_se"] = np.hypot(2 * se["amplitude_whitened"], se[base])
    if "diff_minus_wiener" in df:
        dist = wide_table(df, "diff_minus_wiener").abs()
        out["dist"] = dist[list(COVARIANCE_CLONES)].sum(axis=1)
    return out.reset_index()


def step_intervals(frame: pd.DataFrame, column: str, level: float, lv: cc.Levels) -> pd.DataFrame:
    """Per step: mean over seeds with its seed interval (two or more seeds), or with one seed
    the image-sampling interval value ± z·s.e. (descriptive only)."""
    rows = []
    for step, g in frame.groupby("step", sort=True):
        v = g[column].to_numpy(float)
        if len(v) >= 2:
            mean, lo, hi = cc.seed_interval(v, level, lv.samples, lv.seed)
        else:
            half = stats.norm.ppf(0.5 + level / 2) * float(g[f"{column}_se"].iloc[0])
            mean, lo, hi = float(v[0]), float(v[0] - half), float(v[0] + half)
        rows.append({"step": int(step), "mean": mean, "lo": lo, "hi": hi})
    return pd.DataFrame(rows)


def departure(iv: pd.DataFrame) -> int:
    """Index of the first checkpoint from which the interval lies above 0 for good
    (``len(iv)``: never)."""
    i = len(iv)
    while i > 0 and iv["lo"].iloc[i - 1] > 0:
        i -= 1
    return i


def first_positive(*ivs: pd.DataFrame) -> int:
    """Index of the first checkpoint at which any interval lies above 0 (``len``: none)."""
    above = np.any([iv["lo"].to_numpy() > 0 for iv in ivs], axis=0)
    return int(np.argmax(above)) if above.any() else len(ivs[0])


def absent(df: pd.DataFrame, t: str) -> cc.Evaluation | None:
    """``inconclusive`` when the run's table has no rows at the claims' noise level k."""
    if df.empty:
        return cc.Evaluation("inconclusive", f"k = {t} not evaluated in the run's losses table")
    return None


def n_seeds_of(df: pd.DataFrame) -> int:
    return int(df["seed"].nunique())


def seed_note(n_seeds: int) -> str:
    return " (image-sampling intervals: 1 seed)" if n_seeds < 2 else ""


def learnt(df: pd.DataFrame) -> tuple[bool, str]:
    """Calibration: the seed-mean test loss at the last checkpoint is below half its value at
    the first checkpoint."""
    test = df[df["set"] == "test"].groupby("step")["loss"].mean().sort_index()
    ok = bool(test.iloc[-1] < 0.5 * test.iloc[0])
    return ok, (f"test loss {test.iloc[0]:.3g} at step {test.index[0]} → {test.iloc[-1]:.3g} "
                f"at {test.index[-1]}")


def wiener_gaps(df: pd.DataFrame) -> pd.Series:
    """The Wiener denoiser's gap of each set (step-independent; the first seed's rows)."""
    first = df[(df["seed"] == df["seed"].min()) & (df["step"] == df["step"].min())]
    return first.set_index("set")["wiener_diff_to_test"]


def gaussian_tracks_then_departs(inputs: dict, options: dict) -> cc.Evaluation:
    """Estimate: the step from which the meancov gap stays above 0 beyond its interval;
    lo: the last checkpoint before it (tracking), hi: that step."""
    lv = cc.Levels.from_options(options)
    df = losses(inputs, options["t"])
    if missing := absent(df, options["t"]):
        return missing
    frame, n_seeds = parts(df), n_seeds_of(df)
    iv, wide = (step_intervals(frame, "G", level, lv) for level in (lv.level, lv.refute_level))
    i, steps = departure(iv), iv["step"].tolist()
    est = float(steps[i]) if i < len(steps) else cc.NAN
    prev = float(steps[i - 1]) if 0 < i <= len(steps) else cc.NAN
    w = wiener_gaps(df)
    zse = float(stats.norm.ppf(0.5 + lv.level / 2)) * float(
        df[df["set"] == "meancov"]["wiener_diff_to_test_se"].iloc[0])
    numbers = dict(estimate=est, lo=prev, hi=est, control_estimate=float(w["meancov"]),
                   control_lo=float(w["meancov"]) - zse, control_hi=float(w["meancov"]) + zse,
                   n_seeds=n_seeds)
    text = (f"meancov − test departs at step {cc.fmt(est)} (within its interval up to "
            f"{cc.fmt(prev)}){seed_note(n_seeds)}; gap at the last step "
            f"{iv['mean'].iloc[-1]:+.4f} {cc.interval_text(iv['lo'].iloc[-1], iv['hi'].iloc[-1])}; "
            f"Wiener gap {w['meancov']:+.4f}")
    ok, cal = learnt(df)
    why = cc.gate(n_seeds=n_seeds, calibrated=ok, calibration=cal)
    if why:
        return cc.Evaluation("inconclusive", f"{why}; {text}", **numbers)
    tracked = bool(((iv["lo"] <= 0) & (iv["hi"] >= 0)).iloc[:i].all())
    grows = i < len(steps) and iv["mean"].iloc[-1] >= iv["mean"].iloc[i]
    if 0 < i < len(steps) and tracked and grows:
        return cc.Evaluation("supported", f"tracks, then departs and grows; {text}", **numbers)
    if departure(wide) == 0 or (wide["hi"].iloc[:max(i, 1)] < 0).any():
        return cc.Evaluation("refuted", f"no tracking phase (family-wise intervals); {text}", **numbers)
    return cc.Evaluation("inconclusive", f"no clean track-then-depart; {text}", **numbers)


def clone_order(inputs: dict, options: dict) -> cc.Evaluation:
    """P − A at the first checkpoint where P or A is positive beyond its seed interval (the
    estimate); decided over that checkpoint ± one (the deciding checkpoints): supported
    (either order) only if P − A lies beyond its seed interval with one sign at every one of
    them (``kept_sign``), else inconclusive; never refuted."""
    lv = cc.Levels.from_options(options)
    df = losses(inputs, options["t"])
    if missing := absent(df, options["t"]):
        return missing
    frame, n_seeds = parts(df), n_seeds_of(df)
    P, A, D = (step_intervals(frame, c, lv.level, lv) for c in ("P", "A", "D"))
    i, steps = first_positive(P, A), P["step"].tolist()
    w, base = wiener_gaps(df), amplitude_base(df)
    control = float(2 * w["amplitude_whitened"] - w[base])
    if i == len(steps):
        return cc.Evaluation("inconclusive", f"neither part departs by step {steps[-1]}"
                             f"{seed_note(n_seeds)} (A against {base})", control_estimate=control,
                             n_seeds=n_seeds)
    deciding = list(range(max(i - 1, 0), min(i + 2, len(steps))))
    numbers = dict(estimate=float(D["mean"].iloc[i]), lo=float(D["lo"].iloc[i]),
                   hi=float(D["hi"].iloc[i]), control_estimate=control, n_seeds=n_seeds)
    cells = "; ".join(f"step {steps[j]}: P {P['mean'].iloc[j]:+.4f}, A {A['mean'].iloc[j]:+.4f}, "
                      f"P − A {cc.interval_text(D['lo'].iloc[j], D['hi'].iloc[j])}" for j in deciding)
    text = f"first departure at step {steps[i]}{seed_note(n_seeds)} (A against {base}); {cells}"
    ok, cal = learnt(df)
    why = cc.gate(n_seeds=n_seeds, calibrated=ok, calibration=cal)
    if why:
        return cc.Evaluation("inconclusive", f"{why}; {text}", **numbers)
    sign = kept_sign(D, deciding)
    if sign:
        order = "phases before per-image amplitudes" if sign > 0 else "per-image amplitudes before phases"
        return cc.Evaluation("supported", f"{order}; {text}", **numbers)
    return cc.Evaluation("inconclusive", f"P − A changes sign or includes 0; {text}", **numbers)


def kept_sign(D: pd.DataFrame, deciding: list[int]) -> int:
    """+1 or −1 if P − A lies beyond its interval with that sign at every deciding checkpoint
    (the first departure and the checkpoints either side of it); else 0."""
    for sign, beyond in ((1, D["lo"] > 0), (-1, D["hi"] < 0)):
        if beyond.iloc[deciding].all():
            return sign
    return 0


def pairwise_first(inputs: dict, options: dict) -> cc.Evaluation:
    """Per seed, how much the U-Net − Wiener distance Σ_{amplitude, phase} |gap − Wiener gap|
    shrinks from the first checkpoint to the last one before any higher-order departure (P,
    A or the meancov gap positive beyond its interval); control: the change of P over the
    same checkpoints."""
    lv = cc.Levels.from_options(options)
    df = losses(inputs, options["t"])
    if missing := absent(df, options["t"]):
        return missing
    frame, n_seeds = parts(df), n_seeds_of(df)
    ivs = [step_intervals(frame, c, lv.level, lv) for c in ("P", "A", "G")]
    i, steps = first_positive(*ivs), ivs[0]["step"].tolist()
    if i < 2:
        at = steps[min(i, len(steps) - 1)]
        return cc.Evaluation("inconclusive", f"higher-order departure at step {at}: fewer than two "
                             f"checkpoints before it{seed_note(n_seeds)}", n_seeds=n_seeds)
    first, before = steps[0], steps[i - 1]
    by_seed = frame.set_index(["seed", "step"])
    at = lambda column, step: by_seed[column].xs(step, level="step")  # noqa: E731
    moved = (at("dist", first) - at("dist", before)).to_numpy(float)
    dP = (at("P", before) - at("P", first)).to_numpy(float)
    est, lo, hi = cc.seed_interval(moved, lv.level, lv.samples, lv.seed)
    ctl = cc.seed_interval(dP, lv.level, lv.samples, lv.seed)
    numbers = dict(estimate=est, lo=lo, hi=hi, control_estimate=ctl[0], control_lo=ctl[1],
                   control_hi=ctl[2], n_seeds=n_seeds)
    text = (f"Σ|U-Net − Wiener gap| (amplitude, phase) shrinks by {est:+.4f} from step {first} to "
            f"{before}, {departed_text(steps, i)}; P changes by {ctl[0]:+.4f}")
    ok, cal = learnt(df)
    why = cc.gate(n_seeds=n_seeds, calibrated=ok, calibration=cal)
    if why:
        return cc.Evaluation("inconclusive", f"{why}; {text}", **numbers)
    wide = cc.seed_interval(moved, lv.refute_level, lv.samples, lv.seed)[1:]
    verdict, vtext = cc.positive_verdict((lo, hi), wide, "shrinkage")
    return cc.Evaluation(verdict, f"{vtext}; {text}", **numbers)


def departed_text(steps: list, i: int) -> str:
    """Where the first higher-order departure is, or that there is none by the last step."""
    if i < len(steps):
        return f"before the first higher-order departure at step {steps[i]}"
    return f"no higher-order departure by step {steps[-1]}"


def level_row(g: pd.DataFrame, last_step: int, lv: cc.Levels) -> dict:
    """One noise level k of the calibration: the U-Net / Wiener test-loss ratio at the last
    step this k was evaluated at, its seed mean with the claim-level and family-wise seed
    intervals, and the k's verdict: beats Wiener (ratio < 1 beyond its interval), refuted
    (> 1 beyond the family-wise one), else inconclusive; ``censored`` when k was not
    evaluated at the run's last step (a verdict about an earlier step is not one about the
    last), inconclusive too with fewer than ``MIN_SEEDS`` seeds."""
    step = int(g["step"].max())
    at = g[g["step"] == step]
    r = (at["loss"] / at["wiener_loss"]).to_numpy(float)
    mean, lo, hi = cc.seed_interval(r, lv.level, lv.samples, lv.seed)
    wide = cc.seed_interval(r, lv.refute_level, lv.samples, lv.seed)[1:]
    verdict, _ = cc.positive_verdict((1 - hi, 1 - lo), (1 - wide[1], 1 - wide[0]))
    if step < last_step:
        verdict, status = "inconclusive", f"censored: last evaluated at step {step}"
    elif len(r) < cc.MIN_SEEDS:
        verdict = "inconclusive"
        status = f"{'below' if mean < 1 else 'above'} Wiener, {len(r)} seed{'s' * (len(r) > 1)}"
    else:
        status = {"supported": "beats Wiener", "refuted": "above Wiener"}.get(
            verdict, "interval holds 1")
    return dict(step=step, mean=mean, lo=lo, hi=hi, verdict=verdict, status=status,
                n_seeds=len(r))


def level_text(t: str, row: dict) -> str:
    interval = f" {cc.interval_text(row['lo'], row['hi'])}" if np.isfinite(row["lo"]) else ""
    return f"k = {t}: {row['mean']:.3g}{interval} ({row['status']})"


def unet_beats_wiener(inputs: dict, options: dict) -> cc.Evaluation:
    """Calibration, per noise level k: whether the U-Net's test loss at the last step is
    below the Wiener denoiser's (``level_row``); supported when it is at every k, refuted
    when it is above at some k beyond the family-wise interval. The estimate is the worst
    (largest) seed-mean ratio among the k evaluated at the last step; the reason states
    each k's ratio and verdict and names the unconverged k (ratio not below 1) and the
    censored ones (not evaluated at the last step)."""
    lv = cc.Levels.from_options(options)
    df = read_parquets(inputs["losses"])
    last = int(df["step"].max())
    rows = {t: level_row(g, last, lv) for t, g in df[df["set"] == "test"].groupby("t")}
    ks = sorted(rows, key=lambda t: (t == "all", int(t) if t != "all" else 0))
    at_last = [t for t in ks if rows[t]["step"] == last] or ks
    worst = rows[max(at_last, key=lambda t: rows[t]["mean"])]
    text = f"U-Net / Wiener test loss at step {last}: " + ", ".join(
        level_text(t, rows[t]) for t in ks)
    unconverged = [t for t in at_last if rows[t]["mean"] >= 1]
    censored = [t for t in ks if rows[t]["step"] < last]
    text += (f"; unconverged (not below Wiener): k = {', '.join(unconverged)}" if unconverged
             else "; below Wiener at every k evaluated at the last step")
    text += f"; censored: k = {', '.join(censored)}" if censored else ""
    numbers = dict(estimate=worst["mean"], lo=worst["lo"], hi=worst["hi"],
                   n_seeds=n_seeds_of(df))
    why = cc.gate(n_seeds=n_seeds_of(df))
    verdicts = [rows[t]["verdict"] for t in ks]
    if why:
        return cc.Evaluation("inconclusive", f"{why}; {text}", **numbers)
    if "refuted" in verdicts:
        return cc.Evaluation("refuted", f"above 1 beyond the family-wise interval at some k; {text}",
                             **numbers)
    if set(verdicts) == {"supported"}:
        return cc.Evaluation("supported", f"below 1 at every k; {text}", **numbers)
    return cc.Evaluation("inconclusive", f"not below 1 beyond its interval at every k; {text}",
                         **numbers)
