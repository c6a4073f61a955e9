"""The linear stage's claims, decided from its tables (easy2hard.core.claims; docs/stages/linear.md).

- ``transition``: the collapse onto the training span (KL = ∞) holds exactly for N ≤ d and ends
  above d, for every target, d, seed and sampler (λ = 0, τ = ∞);
- ``kl_law``: for N ≫ d the excess KL of a non-Gaussian law is (E|z|⁴ + d)/(4N): the measured
  N (KL − KL_∞)/d² against the law's constant, seed-bootstrap intervals (heavy tails);
- ``hierarchy_samples``: at N < d the best-regularised KL of the steepest spectrum is not
  below the isotropic one (an isotropic regulariser; at λ = 0 KL does not depend on α).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core.claims import (Evaluation, Levels, band_verdict, fmt, gate, interval_text,
                           positive_verdict, seed_interval)
from ..core.tables import read_parquets

INF = math.inf


def _unregularised(df: pd.DataFrame) -> pd.DataFrame:
    """Rows at λ = 0, τ = ∞ (the optimum that collapses for N ≤ d)."""
    return df[(df["ridge"] == 0) & np.isinf(df["tau"])]


# ---------------------------------------------------------------- transition

def transition(inputs: dict, options: dict) -> Evaluation:
    """Supported iff every cell with N ≤ d has KL = ∞ and every cell with N > d a finite KL;
    refuted if any cell breaks it. Estimate: the largest N/d with an infinite KL; control: the
    isotropic target's edge (the same rank argument, no spectrum)."""
    df = _unregularised(read_parquets(inputs["tables"]))
    n_seeds = int(df["seed"].nunique())
    why = gate(n_seeds=n_seeds)
    if why:
        return Evaluation("inconclusive", why, n_seeds=n_seeds)
    infinite = np.isinf(df["kl"])
    below, above = df["N"] <= df["d"], df["N"] > df["d"]
    if not below.any() or not above.any():
        return Evaluation("inconclusive", "calibration failed: the N/d grid does not straddle "
                          "N = d", n_seeds=n_seeds)
    edge = float(df.loc[infinite, "N_over_d"].max()) if infinite.any() else 0.0
    first = float(df.loc[~infinite, "N_over_d"].min()) if (~infinite).any() else INF
    iso = df[df["target"] == "isotropic"]
    iso_edge = float(iso.loc[np.isinf(iso["kl"]), "N_over_d"].max()) if len(iso) else math.nan
    bad_below, bad_above = int((below & ~infinite).sum()), int((above & infinite).sum())
    counts = (f"{int(below.sum())} cells with N ≤ d, {int(above.sum())} with N > d over "
              f"{df['target'].nunique()} targets, {n_seeds} seeds")
    if bad_below or bad_above:
        verdict, text = "refuted", (f"{bad_below} finite KL at N ≤ d, {bad_above} infinite KL at "
                                    f"N > d")
    else:
        verdict, text = "supported", (f"KL = ∞ up to N/d = {fmt(edge)}, finite from "
                                      f"N/d = {fmt(first)} in every cell")
    return Evaluation(verdict, f"{text} ({counts})", estimate=edge, lo=edge, hi=first,
                      control_estimate=iso_edge, control_lo=iso_edge, control_hi=iso_edge,
                      n_seeds=n_seeds)


# ---------------------------------------------------------------- kl_law

def law_constants(df: pd.DataFrame) -> pd.DataFrame:
    """Per (target, d, N, seed) at λ = 0, τ = ∞, the first sampler, N > d: the measured
    constant N (kl − kl_opt)/d² (the exact KL to the moment-matched Gaussian less the sampler's
    own error), the law's N kl_moment_matched/d², the Gaussian expectation N kl_wishart/d² and
    the ideal-sampler reference N kl_ideal/d² ± s.e. (NaN where the table has none)."""
    sub = _unregularised(df)
    sub = sub[(sub["sampler"] == sub["sampler"].iloc[0]) & (sub["N"] > sub["d"])]
    scale = sub["N"] / sub["d"] ** 2
    return pd.DataFrame({
        "target": sub["target"], "d": sub["d"], "N_over_d": sub["N_over_d"], "seed": sub["seed"],
        "measured": scale * (sub["kl"] - sub["kl_opt"]),
        "law": scale * sub["kl_moment_matched"], "gaussian": scale * sub["kl_wishart"],
        "reference": scale * sub.get("kl_ideal", np.nan),
        "reference_se": scale * sub.get("kl_ideal_se", np.nan)})


def wishart_calibration(rows: pd.DataFrame, gaussians) -> tuple[bool, str]:
    """The sampler against the ideal sampler on the Gaussian targets: measured over the exact
    Wishart expectation within 3 seed standard errors of 1 (no Gaussian target: unchecked)."""
    ratio = (rows["measured"] / rows["gaussian"])[rows["target"].isin(gaussians)].to_numpy()
    if len(ratio) < 2:
        return False, "no Gaussian target to check the sampler against the Wishart expectation"
    mean, se = float(ratio.mean()), float(ratio.std(ddof=1) / math.sqrt(len(ratio)))
    ok = abs(mean - 1) <= 3 * se
    return ok, f"Gaussian measured/Wishart {fmt(mean)} ± {fmt(se)} (s.e.)"


def kl_law(inputs: dict, options: dict) -> Evaluation:
    """At the largest N/d and d, per non-Gaussian law: ratio measured/law with a seed interval
    (a bootstrap from 8 seeds: heavy tails); supported iff every law's interval lies inside
    1 ± ``tolerance``; refuted iff one's family-wise interval misses it. Calibration: the
    Gaussian targets against the Wishart expectation. Control: the measured constant over the
    Gaussian expectation (the law 'independent of the data'), for the law the furthest from it."""
    lv = Levels.from_options(options)
    rows = law_constants(read_parquets(inputs["tables"]))
    laws = rows[rows["target"].isin(options["laws"])]
    if laws.empty:
        return Evaluation("inconclusive", "no non-Gaussian law in this config", n_seeds=0)
    d, ratio = laws["d"].max(), laws["N_over_d"].max()
    decided = (rows["d"] == d) & (rows["N_over_d"] == ratio)
    ok, calib = wishart_calibration(rows[decided], options["gaussians"])
    laws = laws[(laws["d"] == d) & (laws["N_over_d"] == ratio)]
    n_seeds = int(laws.groupby("target")["seed"].nunique().min())
    why = gate(n_seeds=n_seeds, calibrated=ok, calibration=calib)
    if why:
        return Evaluation("inconclusive", why, n_seeds=n_seeds)
    band = (1 - options["tolerance"], 1 + options["tolerance"])
    per_law = [_law_ratio(target, g, band, lv) for target, g in laws.groupby("target")]
    verdicts = [r["verdict"] for r in per_law]
    verdict = ("refuted" if "refuted" in verdicts else
               "supported" if all(v == "supported" for v in verdicts) else "inconclusive")
    worst = max(per_law, key=lambda r: abs(r["ratio"][0] - 1))
    heavy = max(per_law, key=lambda r: r["law_over_gaussian"])
    reason = (f"N·(KL − KL_opt)/d² at d = {d}, N/d = {fmt(ratio)}: "
              + "; ".join(r["text"] for r in per_law)
              + f"; band {interval_text(*band)}; against the Gaussian expectation {heavy['target']} "
              f"is {fmt(heavy['control'][0])}× {interval_text(*heavy['control'][1:])}; {calib}")
    est, lo, hi = worst["ratio"]
    return Evaluation(verdict, reason, estimate=est, lo=lo, hi=hi,
                      control_estimate=heavy["control"][0], control_lo=heavy["control"][1],
                      control_hi=heavy["control"][2], n_seeds=n_seeds)


def _law_ratio(target: str, g: pd.DataFrame, band, lv: Levels) -> dict:
    """One law's measured constant over the law's (claim and family-wise intervals), its
    verdict, and the measured constant over the Gaussian's (the control)."""
    law, gauss = float(g["law"].iloc[0]), float(g["gaussian"].iloc[0])
    v = g["measured"].to_numpy()
    mean, lo, hi = seed_interval(v, lv.level, lv.samples, lv.seed)
    _, wlo, whi = seed_interval(v, lv.refute_level, lv.samples, lv.seed)
    ratio = (mean / law, lo / law, hi / law)
    verdict, _ = band_verdict(ratio[1:], (wlo / law, whi / law), band)
    return {"target": target, "ratio": ratio, "verdict": verdict, "law_over_gaussian": law / gauss,
            "control": (mean / gauss, lo / gauss, hi / gauss),
            "text": f"{target} {fmt(mean)} / law {fmt(law)} = {fmt(ratio[0])} "
                    f"{interval_text(*ratio[1:])}{_reference_text(g, law)}"}


def _reference_text(g: pd.DataFrame, law: float) -> str:
    """The ideal-sampler reference beside the leading order, where the table has it."""
    ref = g["reference"].iloc[0]
    if not np.isfinite(ref):
        return ""
    return (f" (ideal-sampler reference {fmt(ref)} ± {fmt(g['reference_se'].iloc[0])}, "
            f"{fmt(ref / law)} of the law)")


# ---------------------------------------------------------------- hierarchy_samples

def best_regularised(df: pd.DataFrame, path: str, measure: str = "kl") -> pd.DataFrame:
    """Per (exponent, N_over_d) of one path: every seed's row at the grid value with the
    smallest seed-mean ``measure`` (the oracle choice of the sweep's figure)."""
    sub = df[df["path"] == path]
    mean = sub.groupby(["exponent", "N_over_d", "value"], as_index=False)[measure].mean()
    best = mean.loc[mean.groupby(["exponent", "N_over_d"])[measure].idxmin(),
                    ["exponent", "N_over_d", "value"]]
    return sub.merge(best, on=["exponent", "N_over_d", "value"])


def _difference(rows: pd.DataFrame, lo_exp: float, hi_exp: float, per_dim: int,
                measure: str = "kl") -> np.ndarray:
    """Per seed: ``measure``/d at the steepest exponent minus at the flattest (for w2, W₂²/d)."""
    values = rows[measure] ** 2 if measure == "w2" else rows[measure]
    table = rows.assign(_v=values).pivot_table(index="seed", columns="exponent", values="_v")
    return ((table[hi_exp] - table[lo_exp]) / per_dim).dropna().to_numpy()


def _w2_text(cells: pd.DataFrame, exps, d: int, lv: Levels) -> str:
    """The same ordering under the Gaussian W₂² per dimension (each α at its best W₂)."""
    if "w2" not in cells:
        return ""
    parts = []
    for path in ("ridge", "time"):
        diff = _difference(best_regularised(cells, path, "w2"), exps[0], exps[-1], d, "w2")
        mean, lo, hi = seed_interval(diff, lv.level, lv.samples, lv.seed)
        parts.append(f"{path} {fmt(mean)} {interval_text(lo, hi)}")
    return "; under W₂²/d: " + ", ".join(parts)


def hierarchy_samples(inputs: dict, options: dict) -> Evaluation:
    """At the smallest N/d (< 1), for the ridge and the early-stopping path: the per-seed
    difference KL/d(steepest α) − KL/d(α = flattest) at each α's best grid value. Supported iff
    positive beyond its interval on both paths (hierarchy does not help the samples) and above
    the control's interval; refuted iff negative beyond the family-wise interval on one.
    Control: the same difference without regulariser (λ = 0, τ = ∞) at the smallest N/d > 1,
    where affine invariance predicts 0 up to the sampler's discretisation (which a steep
    spectrum raises)."""
    lv = Levels.from_options(options)
    df = read_parquets(inputs["tables"])
    df = df[df["exponent"].notna()]
    exps = sorted(df["exponent"].unique())
    n_seeds = int(df["seed"].nunique())
    below = df.loc[df["N_over_d"] < 1, "N_over_d"]
    why = gate(n_seeds=n_seeds) or ("one exponent: nothing to compare" if len(exps) < 2 else
                                     "no N < d in the sweep" if below.empty else None)
    if why:
        return Evaluation("inconclusive", why, n_seeds=n_seeds)
    small, d = float(below.min()), int(df["d"].iloc[0])
    cells = df[df["N_over_d"] == small]
    results, texts = {}, []
    for path in ("ridge", "time"):
        best = best_regularised(cells, path)
        if not np.isfinite(best["kl"]).all():
            return Evaluation("inconclusive", f"calibration failed: the best {path} regulariser "
                              f"leaves an infinite KL at N/d = {fmt(small)}", n_seeds=n_seeds)
        diff = _difference(best, exps[0], exps[-1], d)
        results[path] = (seed_interval(diff, lv.level, lv.samples, lv.seed),
                         seed_interval(diff, lv.refute_level, lv.samples, lv.seed))
        texts.append(f"{path}: {fmt(results[path][0][0])} {interval_text(*results[path][0][1:])}")
    verdicts = [positive_verdict(r[0][1:], r[1][1:])[0] for r in results.values()]
    verdict = ("refuted" if "refuted" in verdicts else
               "supported" if all(v == "supported" for v in verdicts) else "inconclusive")
    control = _control_difference(df, exps, d, lv)
    est, lo, hi = min((r[0] for r in results.values()), key=lambda r: r[1])
    if verdict == "supported" and not lo > control[2]:
        verdict = "inconclusive"
        texts.append("not beyond the unregularised control's interval")
    reason = (f"KL/d(α = {fmt(exps[-1])}) − KL/d(α = {fmt(exps[0])}) at the best regulariser, "
              f"N/d = {fmt(small)}: " + "; ".join(texts)
              + f"; control λ = 0 at N/d = {fmt(control[3])}: {fmt(control[0])} "
              f"{interval_text(control[1], control[2])}" + _w2_text(cells, exps, d, lv))
    return Evaluation(verdict, reason, estimate=est, lo=lo, hi=hi, control_estimate=control[0],
                      control_lo=control[1], control_hi=control[2], n_seeds=n_seeds)


def _control_difference(df: pd.DataFrame, exps, d: int, lv: Levels):
    """The α difference of KL/d without regulariser at the smallest N/d above 1."""
    above = df.loc[df["N_over_d"] > 1, "N_over_d"]
    if above.empty:
        return (math.nan, math.nan, math.nan, math.nan)
    ratio = float(above.min())
    rows = df[(df["N_over_d"] == ratio) & (df["path"] == "ridge") & (df["value"] == 0)]
    diff = _difference(rows, exps[0], exps[-1], d)
    return (*seed_interval(diff, lv.level, lv.samples, lv.seed), ratio)
