"""The networks stage's claims: Figs. 3a, 3b–c and A.4 decided from the cells' final overlaps.

Every claim reads the cells of its figure's sweeps and measures, per run, the **excess over
chance** at the last logged step: the overlap with v minus ``chance_overlap`` (the expected
max over the m first-layer neurons of |cos(w_i, v)| at random initialisation, exact per
width). Each group of runs (sweep, N, width m, depth L, activation) gets a seed interval of its
mean excess (``core.claims.seed_interval``: t below 8 seeds). A group is *expected* either to
learn (excess > 0 beyond its interval) or to stay stuck (excess not above 0 beyond it).
``supported`` iff every group meets its expectation at the claim level; ``refuted`` iff some
group contradicts it at the family-wise level (a learner whose interval lies below 0, a stuck
group whose interval lies above 0); else ``inconclusive``.

Calibration: every group's networks trained: the seed-mean MCM test loss at the last step is
below its value at step 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import claims as C
from ..core.tables import read_parquets

GROUP = ["sweep", "N", "m", "L", "activation"]


def final_excess(df: pd.DataFrame) -> pd.DataFrame:
    """Per run (GROUP + seed): the excess over chance at its cell's last step, and whether the
    cell's seed-mean loss fell from step 0."""
    last = df.groupby(GROUP)["step"].transform("max")
    end = df[df["step"] == last].assign(excess=lambda d: d["overlap_v"] - d["chance_overlap"])
    loss = df.groupby([*GROUP, "step"])["loss_mcm"].mean().reset_index()
    first = loss.loc[loss.groupby(GROUP)["step"].idxmin()].set_index(GROUP)["loss_mcm"]
    final = loss.loc[loss.groupby(GROUP)["step"].idxmax()].set_index(GROUP)["loss_mcm"]
    trained = (final < first).rename("trained").reset_index()
    return end[[*GROUP, "seed", "excess", "chance_overlap"]].merge(trained, on=GROUP)


def label(key) -> str:
    sweep, N, m, L, act = key
    return f"{act} ({sweep}, N={N}, m={m}" + (f", L={L})" if L != 1 else ")")


def summarise(runs: pd.DataFrame, lv: C.Levels) -> pd.DataFrame:
    """Per group: mean excess with its interval at the claim and family-wise levels."""
    rows = []
    for key, g in runs.groupby(GROUP, sort=True):
        v = g["excess"].to_numpy(float)
        mean, lo, hi = C.seed_interval(v, lv.level, lv.samples, lv.seed)
        _, wlo, whi = C.seed_interval(v, lv.refute_level, lv.samples, lv.seed)
        rows.append({"key": key, "label": label(key), "mean": mean, "lo": lo, "hi": hi,
                     "wlo": wlo, "whi": whi, "seeds": len(v), "trained": bool(g["trained"].all()),
                     "chance": float(g["chance_overlap"].iloc[0])})
    return pd.DataFrame(rows)


def _text(r) -> str:
    return f"{r['label']} {r['mean']:+.3f} {C.interval_text(r['lo'], r['hi'])}"


def decide(learn: pd.DataFrame, stuck: pd.DataFrame) -> tuple[str, str]:
    """The verdict of groups expected to learn (``learn``) and to stay stuck (``stuck``)."""
    contradicted = [r for _, r in learn.iterrows() if r["whi"] < 0] + \
        [r for _, r in stuck.iterrows() if r["wlo"] > 0]
    met = all(learn["lo"] > 0) and all(stuck["lo"] <= 0)
    text = "; ".join([f"learns: {_text(r)}" for _, r in learn.iterrows()] +
                     [f"stuck: {_text(r)}" for _, r in stuck.iterrows()])
    if contradicted:
        names = ", ".join(r["label"] for r in contradicted)
        return "refuted", (f"contradicted at the family-wise level by {names}; "
                           f"excess over chance: {text}")
    if met:
        return "supported", f"excess over chance: {text}"
    return "inconclusive", f"excess over chance (an interval includes 0): {text}"


def evaluate_groups(learn: pd.DataFrame, stuck: pd.DataFrame, missing: str = "") -> C.Evaluation:
    """The claim's Evaluation: estimate = the weakest learner's mean excess, control = the
    strongest stuck group's mean excess (or the learners' chance level when none is stuck)."""
    if learn.empty:
        return C.Evaluation("inconclusive", missing or "no learning group in this config's tables")
    both = pd.concat([learn, stuck])
    n_seeds = int(both["seeds"].min())
    weakest = learn.loc[learn["mean"].idxmin()]
    est = {"estimate": weakest["mean"], "lo": weakest["lo"], "hi": weakest["hi"],
           "n_seeds": n_seeds}
    if stuck.empty:
        c = float(weakest["chance"])
        ctrl = {"control_estimate": c, "control_lo": c, "control_hi": c}
    else:
        top = stuck.loc[stuck["mean"].idxmax()]
        ctrl = {"control_estimate": top["mean"], "control_lo": top["lo"], "control_hi": top["hi"]}
    untrained = both.loc[~both["trained"], "label"].tolist()
    reason = C.gate(n_seeds=n_seeds, calibrated=not untrained,
                    calibration=f"the MCM test loss did not fall from step 0 for {untrained}")
    if missing:
        reason = f"{missing}; learners: " + "; ".join(_text(r) for _, r in learn.iterrows())
    if reason is not None:
        return C.Evaluation("inconclusive", reason, **est, **ctrl)
    verdict, why = decide(learn, stuck)
    return C.Evaluation(verdict, why, **est, **ctrl)


def _groups(inputs: dict, options: dict) -> pd.DataFrame:
    return summarise(final_excess(read_parquets(inputs["tables"])), C.Levels.from_options(options))


def _select(groups: pd.DataFrame, activations, keep) -> tuple[pd.DataFrame, str]:
    """The groups of these activations that ``keep(key)`` accepts, and which are missing."""
    sel = groups[[k[-1] in activations and keep(k) for k in groups["key"]]]
    absent = sorted(set(activations) - {k[-1] for k in sel["key"]})
    return sel, (f"activation(s) {absent} not run in this config's sweeps" if absent else "")


def fig3a_width(inputs: dict, options: dict) -> C.Evaluation:
    """Fig. 3a: at the widest width, the wide autoencoder learns v with each of
    ``options['activations']`` (excess over chance > 0). Control: the chance level."""
    groups = _groups(inputs, options)
    widest = groups["key"].map(lambda k: k[2]).max()
    learn, missing = _select(groups, options["activations"], lambda k: k[2] == widest)
    return evaluate_groups(learn, learn.iloc[:0], missing)


def fig3bc_depth(inputs: dict, options: dict) -> C.Evaluation:
    """Figs. 3b–c: at the deepest depth, ``options['recover']`` learn v while
    ``options['fail']`` (ReLU², exploding activations) stays at chance: the control."""
    groups = _groups(inputs, options)
    deepest = groups["key"].map(lambda k: k[3]).max()
    at_depth = lambda k: k[3] == deepest  # noqa: E731
    learn, miss_l = _select(groups, options["recover"], at_depth)
    stuck, miss_s = _select(groups, options["fail"], at_depth)
    return evaluate_groups(learn, stuck, miss_l or miss_s)


def figA4(inputs: dict, options: dict) -> C.Evaluation:
    """Fig. A.4: the narrow autoencoder (m = 1, Adam) stays stuck (the control) while the wide
    one of the figure's sweeps learns, with each of ``options['activations']``."""
    groups = _groups(inputs, options)
    learn, miss_l = _select(groups, options["activations"], lambda k: k[2] > 1)
    stuck, miss_s = _select(groups, options["activations"], lambda k: k[2] == 1)
    if stuck.empty:
        miss_s = "no narrow (m = 1) cell in this config's figA4 sweeps"
    return evaluate_groups(learn, stuck, miss_l or miss_s)


def _clone_differences(df: pd.DataFrame) -> pd.DataFrame:
    """Per seed and step: meancov − MCM (what is beyond the Gaussian statistics) and mean_iso
    − meancov (what the covariance adds) test losses."""
    return df.assign(higher=df["loss_meancov_clone"] - df["loss_mcm"],
                     pairwise=df["loss_mean_iso_clone"] - df["loss_meancov_clone"])[
        ["seed", "step", "higher", "pairwise"]]


def _first_positive(diff: pd.DataFrame, column: str, level: float):
    """The first step at which ``column`` is positive beyond its seed t-interval (None)."""
    for step, g in diff.groupby("step", sort=True):
        if step > 0 and C.t_interval(g[column].to_numpy(float), level)[1] > 0:
            return int(step)
    return None


def fig1c_mcm_clones(inputs: dict, options: dict) -> C.Evaluation:
    """Fig. 1c: the Gaussian statistics are learnt first. The step at which the covariance is
    used (mean_iso − meancov loss positive beyond its seed interval) must come before the step
    at which higher-order statistics are (meancov − MCM positive beyond its interval), and the
    latter must happen by the last step. Supported when both hold in that order; refuted when
    the higher-order departure comes strictly first (or the covariance is never used while the
    higher-order part is) at the family-wise level; else inconclusive."""
    lv = C.Levels.from_options(options)
    df = read_parquets(inputs["tables"])
    n_seeds = int(df["seed"].nunique())
    diff = _clone_differences(df)
    last = diff[diff["step"] == diff["step"].max()]
    est, lo, hi = C.t_interval(last["higher"].to_numpy(float), lv.level)
    ctl = C.t_interval(last["pairwise"].to_numpy(float), lv.level)
    first_loss = df[df["step"] == 0]["loss_mcm"].mean()
    numbers = dict(estimate=est, lo=lo, hi=hi, control_estimate=ctl[0], control_lo=ctl[1],
                   control_hi=ctl[2], n_seeds=n_seeds)
    why = C.gate(n_seeds=n_seeds, calibrated=bool(df[df["step"] == df["step"].max()]
                                                   ["loss_mcm"].mean() < first_loss),
                 calibration="the MCM test loss did not fall from step 0")
    pair, high = (_first_positive(diff, "pairwise", lv.level),
                  _first_positive(diff, "higher", lv.level))
    text = (f"covariance used (mean_iso − meancov > 0) from step {pair}, higher-order "
            f"(meancov − MCM > 0) from step {high}; at the last step meancov − MCM "
            f"{est:+.4f} {C.interval_text(lo, hi)}, mean_iso − meancov {ctl[0]:+.4f} "
            f"{C.interval_text(ctl[1], ctl[2])}")
    if why:
        return C.Evaluation("inconclusive", f"{why}; {text}", **numbers)
    wide_pair = _first_positive(diff, "pairwise", lv.refute_level)
    wide_high = _first_positive(diff, "higher", lv.refute_level)
    if pair is not None and high is not None and pair < high:
        return C.Evaluation("supported", f"Gaussian statistics first: {text}", **numbers)
    if wide_high is not None and (wide_pair is None or wide_high < wide_pair):
        return C.Evaluation("refuted", f"higher-order first (family-wise): {text}", **numbers)
    return C.Evaluation("inconclusive", f"no ordering beyond the intervals: {text}", **numbers)
