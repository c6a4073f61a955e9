"""Summaries of the fourier stage (docs/science.md §12.4-12.5): how long a clone's loss tracks
the test loss, the samples n* after which a denoiser uses phase information, and the phase
classifier's n* with bootstrap intervals over seeds and the fitted exponents."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import claims as cc


def tracking(losses: pd.DataFrame, z: float) -> pd.DataFrame:
    """Seed-mean paired loss differences to test per (run, t, set, step), and departures.

    ``losses``: the U-Net evaluation tables (one row per seed, step, set, t with
    diff_to_test and its standard error diff_to_test_se over images). Seeds are independent,
    so the seed-mean difference has standard error sqrt(Σ se²) / n_seeds. A set *departs*
    from test at the first checkpoint from which on |diff| > z · se at every checkpoint
    (one stray crossing among many checkpoints and t is not a departure); ``departs_at`` is
    that step (NaN if the last checkpoint is still within z · se) and ``tracks`` marks the
    steps before it.
    """
    keys = ["dataset", "run", "t", "set", "step"]
    g = losses[losses["set"] != "test"].groupby(keys)
    out = pd.DataFrame({"loss": g["loss"].mean(), "diff": g["diff_to_test"].mean(),
                        "diff_se": np.sqrt(g["diff_to_test_se"].apply(lambda s: (s ** 2).sum())) / g.size(),
                        "n_seeds": g.size()}).reset_index()
    out["z"] = out["diff"] / out["diff_se"]
    out["departed"] = out["z"].abs() > z
    out = out.join(out.groupby(keys[:-1]).apply(_departure, include_groups=False)
                   .rename("departs_at"), on=keys[:-1])
    out["tracks"] = out["departs_at"].isna() | (out["step"] < out["departs_at"])
    return out.assign(z_threshold=float(z))


def _departure(group: pd.DataFrame) -> float:
    """First step of the final run of departed checkpoints (NaN if the last one is not)."""
    group = group.sort_values("step")
    inside = group.loc[~group["departed"], "step"]
    after = group[group["step"] > (inside.max() if len(inside) else -np.inf)]
    return float(after["step"].min()) if len(after) else np.nan


def relative_gap(cells: pd.DataFrame) -> pd.DataFrame:
    """Seed means per (N, alpha, n), each with its standard error over seeds (NaN for one):

    - ``rel_gap`` = (L_clone − L_data) / L_clone, the paired gap (common random numbers);
    - ``improvement`` = (L_linear − L_data) / L_linear, the data loss below the best linear
      denoiser's, which no covariance-only denoiser can reach: phase information is used;
    - ``bayes_improvement``: the same for the Bayes-optimal denoiser (NaN where unknown).
    """
    df = cells.assign(rel_gap=(cells["loss_clone"] - cells["loss_data"]) / cells["loss_clone"],
                      improvement=1 - cells["loss_data"] / cells["loss_linear"])
    if "loss_bayes" not in df:
        df["loss_bayes"] = np.nan
    df["bayes_improvement"] = 1 - df["loss_bayes"] / df["loss_linear"]
    g = df.groupby(["N", "alpha", "n"])
    out = g[["rel_gap", "improvement", "bayes_improvement"]].mean()
    se = g[["rel_gap", "improvement"]].std(ddof=1).div(np.sqrt(g.size()), axis=0)
    out = out.join(se.add_suffix("_se")).assign(n_seeds=g.size())
    return out.reset_index()


def thresholds(cells: pd.DataFrame, margin: float) -> pd.DataFrame:
    """Denoiser n* per (N, alpha): the first logged n where the seed-mean improvement over
    the linear loss reaches ``margin``, interpolated linearly in (log n, improvement) from
    the last logged n below it; NaN when it never does within n_max. ``bayes_improvement``
    is the Bayes-optimal denoiser's (the most any denoiser can reach; NaN where unknown)."""
    rows = []
    for (N, alpha), sub in relative_gap(cells).groupby(["N", "alpha"]):
        sub = sub.sort_values("n")
        n, imp = sub["n"].to_numpy(float), sub["improvement"].to_numpy()
        rows.append({"N": int(N), "alpha": float(alpha), "margin": float(margin),
                     "n_star": first_passage_down(n, -imp, -margin), "n_max": n[-1],
                     "final_improvement": imp[-1], "max_improvement": imp.max(),
                     "bayes_improvement": float(sub["bayes_improvement"].iloc[-1]),
                     "final_gap": sub["rel_gap"].iloc[-1], "n_seeds": int(sub["n_seeds"].max())})
    return pd.DataFrame(rows)


def first_passage_down(n: np.ndarray, y: np.ndarray, level: float) -> float:
    """n where y first falls to ``level`` or below, linear in (log n, y); NaN if never."""
    keep = n > 0
    n, y = np.asarray(n, float)[keep], np.asarray(y, float)[keep]
    hit = np.flatnonzero(y <= level)
    if not len(hit):
        return np.nan
    i = hit[0]
    if i == 0:
        return float(n[0])
    w = (y[i - 1] - level) / (y[i - 1] - y[i])
    return float(np.exp(np.log(n[i - 1]) + w * (np.log(n[i]) - np.log(n[i - 1]))))


#: the readout of cells written before the readout setting existed
DEFAULT_READOUT = "he4"
CELL = ["readout", "N", "alpha"]


def with_readout(df: pd.DataFrame) -> pd.DataFrame:
    return df if "readout" in df else df.assign(readout=DEFAULT_READOUT)


def classifier_passages(cells: pd.DataFrame) -> pd.DataFrame:
    """n* per (readout, N, alpha, seed): first n at which the run's test error reaches its
    error_level (NaN: censored at the run's budget n_max)."""
    rows = []
    for (readout, N, alpha, seed), c in with_readout(cells).groupby([*CELL, "seed"]):
        c = c.sort_values("n")
        rows.append({"readout": readout, "N": int(N), "alpha": float(alpha), "seed": int(seed),
                     "n_star": first_passage_down(c["n"].to_numpy(), c["error"].to_numpy(),
                                                  float(c["error_level"].iloc[0])),
                     "n_max": float(c["n_max"].iloc[0]), "error_level": float(c["error_level"].iloc[0]),
                     "oracle_error": float(c["oracle_error"].iloc[0])})
    return pd.DataFrame(rows)


def censored_median(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Median with NaN read as +inf (a censored n*, above every budget): NaN when at least
    half of the values are censored, since the median is then unknown."""
    m = np.median(np.where(np.isnan(x), np.inf, x), axis=axis)
    return np.where(np.isfinite(m), m, np.nan)


def censored(x) -> np.ndarray:
    """n* with a censored seed (NaN) as +inf, the form the bootstrap keeps in every replicate."""
    return np.where(np.isnan(np.asarray(x, float)), np.inf, np.asarray(x, float))


def same_task(thr: pd.DataFrame, tolerance: float) -> pd.Series:
    """Per row of ``thr``: is the planted neuron's error within ``tolerance`` of its error at
    the largest N of the same (readout, alpha)? (One task across N: docs/stages/fourier.md.)"""
    last = thr.sort_values("N").groupby(["readout", "alpha"])["oracle_error"].transform("last")
    return (thr.sort_values("N")["oracle_error"] - last).abs().le(tolerance).reindex(thr.index)


def bootstrap_medians(passages: pd.DataFrame, samples: int, ci: float, seed: int,
                      tolerance: float = 0.05) -> pd.DataFrame:
    """Per (readout, N, alpha): the censored median n* over seeds with a bootstrap percentile
    interval at level ``ci`` (seeds resampled per cell; a censored seed is +inf in every
    replicate and a replicate with a censored median is +inf, so ``n_star_hi`` is +inf, open,
    when over 1 − ci/2 of them are), the planted error (mean and spread over seeds) and
    ``same_task`` (``same_task``, within ``tolerance``)."""
    rows = []
    for i, ((readout, N, alpha), c) in enumerate(with_readout(passages).groupby(CELL, sort=True)):
        x = c["n_star"].to_numpy(float)
        med, lo, hi = cc.median_interval(censored(x), ci, samples, seed + i)
        rows.append({"readout": readout, "N": int(N), "alpha": float(alpha),
                     "n_star": med if np.isfinite(med) else np.nan, "n_star_lo": lo, "n_star_hi": hi,
                     "n_seeds": len(x), "n_censored": int(np.isnan(x).sum()),
                     "n_max": float(c["n_max"].max()), "error_level": float(c["error_level"].mean()),
                     "oracle_error": float(c["oracle_error"].mean()),
                     "oracle_error_sd": float(c["oracle_error"].std(ddof=0))})
    thr = pd.DataFrame(rows)
    return thr.assign(same_task=same_task(thr, tolerance))


def _slopes(c: pd.DataFrame, per_N: dict, ci: float, samples: int, seed: int) -> dict:
    """slope and slope_log2 (n* / ln² N) over the N of ``c`` with censoring-kept intervals."""
    Ns, out = c["N"].to_numpy(float), {}
    for name, corr in (("slope", np.ones_like(Ns)), ("slope_log2", np.log(Ns) ** 2)):
        if len(Ns) < 2:
            out.update({name: np.nan, f"{name}_lo": np.nan, f"{name}_hi": np.nan})
            continue
        est, lo, hi = cc.slope_interval(Ns, [per_N[N] / k for N, k in zip(Ns, corr)], ci, samples, seed)
        out.update({name: est, f"{name}_lo": lo, f"{name}_hi": hi})
    return out


def exponents(thr: pd.DataFrame, passages: pd.DataFrame, ci: float, samples: int = 1000,
              seed: int = 0) -> pd.DataFrame:
    """Per (readout, alpha): the exponent of n* ∝ N^slope, and of n* / ln² N (the N³ ln² N
    law has corrected slope 3), over the same-task N with an uncensored median; bootstrap
    percentile intervals at level ``ci`` with censoring kept (a replicate censored at a
    fitted N is an infinite or open slope, ``core.claims.log_slope``: the interval opens).
    ``slope_all_N``: the point slope over every uncensored N (tasks mixed, the control)."""
    p = with_readout(passages)
    rows = []
    for (readout, alpha), c in with_readout(thr).groupby(["readout", "alpha"], sort=True):
        sub = p[(p["readout"] == readout) & (p["alpha"] == alpha)]
        per_N = {float(N): censored(g["n_star"]) for N, g in sub.groupby("N")}
        ok = c[c["n_star"].notna()].sort_values("N")
        fit = ok[ok["same_task"].astype(bool)]
        Ns = fit["N"].to_numpy(float)
        rows.append({"readout": readout, "alpha": float(alpha), "fit_points": len(fit),
                     "N_min": Ns.min() if len(Ns) else np.nan, "N_max": Ns.max() if len(Ns) else np.nan,
                     "N_fitted": ",".join(str(int(N)) for N in Ns),
                     **_slopes(fit, per_N, ci, samples, seed),
                     "slope_all_N": loglog_slope(ok["N"], ok["n_star"])})
    return pd.DataFrame(rows)


def loglog_slope(N, n) -> float:
    """Least-squares slope of ln n on ln N over the finite points (NaN below two)."""
    x, y = np.log(np.asarray(N, float)), np.log(np.asarray(n, float))
    ok = np.isfinite(y)
    return float(np.polyfit(x[ok], y[ok], 1)[0]) if ok.sum() >= 2 else np.nan


def classifier_summary(cells: pd.DataFrame, samples: int, ci: float, seed: int,
                       tolerance: float = 0.05):
    """(passages, thresholds, exponents) of the classifier sweep: per-seed n*, the censored
    median n* per (readout, N, alpha) with its bootstrap interval and planted error, and the
    fitted exponents over the same-task N per (readout, alpha)."""
    passages = classifier_passages(cells)
    thr = bootstrap_medians(passages, samples, ci, seed, tolerance)
    return passages, thr, exponents(thr, passages, ci, samples, seed)
