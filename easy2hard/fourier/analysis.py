"""Summaries of the fourier stage (docs/science.md §12.4-12.5): how long a clone's loss tracks
the test loss, the samples n* after which a denoiser uses phase information, and the phase
classifier's n* with bootstrap intervals over seeds and the fitted exponents."""

from __future__ import annotations

import numpy as np
import pandas as pd


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


def classifier_passages(cells: pd.DataFrame) -> pd.DataFrame:
    """n* per (N, alpha, seed): first n at which the run's test error reaches its
    error_level (NaN: censored at the run's budget n_max)."""
    rows = []
    for (N, alpha, seed), c in cells.groupby(["N", "alpha", "seed"]):
        c = c.sort_values("n")
        rows.append({"N": int(N), "alpha": float(alpha), "seed": int(seed),
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


def bootstrap_medians(passages: pd.DataFrame, samples: int, ci: float, seed: int):
    """Per (N, alpha): the censored median n* over seeds with a bootstrap percentile interval
    at level ``ci`` (seeds resampled with replacement, independently per cell: the runs are
    independent), and the replicates (draw, n_star) for the exponent fits. Seeded by ``seed``."""
    rng = np.random.default_rng(seed)
    rows, reps = [], []
    q = [(1 - ci) / 2, (1 + ci) / 2]
    for (N, alpha), c in passages.groupby(["N", "alpha"], sort=True):
        x = c["n_star"].to_numpy(float)
        boot = censored_median(x[rng.integers(0, len(x), size=(samples, len(x)))], axis=1)
        lo, hi = np.quantile(np.where(np.isnan(boot), np.inf, boot), q, method="inverted_cdf")
        rows.append({"N": int(N), "alpha": float(alpha), "n_star": float(censored_median(x)),
                     "n_star_lo": lo, "n_star_hi": hi if np.isfinite(hi) else np.nan,
                     "n_seeds": len(x), "n_censored": int(np.isnan(x).sum()),
                     "n_max": float(c["n_max"].max()), "error_level": float(c["error_level"].mean()),
                     "oracle_error": float(c["oracle_error"].mean())})
        reps.append(pd.DataFrame({"N": int(N), "alpha": float(alpha), "draw": np.arange(samples),
                                  "n_star": boot}))
    return pd.DataFrame(rows), pd.concat(reps, ignore_index=True)


def loglog_slope(N, n) -> float:
    """Least-squares slope of ln n on ln N over the finite points (NaN below two)."""
    x, y = np.log(np.asarray(N, float)), np.log(np.asarray(n, float))
    ok = np.isfinite(y)
    return float(np.polyfit(x[ok], y[ok], 1)[0]) if ok.sum() >= 2 else np.nan


def exponents(thr: pd.DataFrame, reps: pd.DataFrame, ci: float) -> pd.DataFrame:
    """Per alpha: the fitted exponent of n* ∝ N^slope over the uncensored N, and of
    n* / ln² N (the N³ ln² N law has corrected slope 3), each with the bootstrap percentile
    interval at level ``ci``; N_min, N_max and how many N the fit used. A replicate with a
    censored median at some N is fitted on the N it has."""
    q = [(1 - ci) / 2, (1 + ci) / 2]
    rows = []
    for alpha, c in thr.groupby("alpha", sort=True):
        c = c[c["n_star"].notna()].sort_values("N")
        Ns = c["N"].to_numpy(float)
        row = {"alpha": float(alpha), "fit_points": len(c),
               "N_min": Ns.min() if len(c) else np.nan, "N_max": Ns.max() if len(c) else np.nan}
        wide = (reps[reps["alpha"] == alpha].pivot_table(index="draw", columns="N", values="n_star",
                                                         dropna=False).reindex(columns=Ns))
        for name, corr in (("slope", np.ones_like(Ns)), ("slope_log2", np.log(Ns) ** 2)):
            row[name] = loglog_slope(Ns, c["n_star"].to_numpy(float) / corr)
            r = np.array([loglog_slope(Ns, w / corr) for w in wide.to_numpy(float)]) if len(c) >= 2 else np.array([])
            r = r[np.isfinite(r)]
            row[f"{name}_lo"], row[f"{name}_hi"] = (np.quantile(r, q) if len(r) else (np.nan, np.nan))
        rows.append(row)
    return pd.DataFrame(rows)


def classifier_summary(cells: pd.DataFrame, samples: int, ci: float, seed: int):
    """(passages, thresholds, exponents) of the classifier sweep: per-seed n*, the censored
    median n* per (N, alpha) with its bootstrap interval, and the fitted exponents per alpha."""
    passages = classifier_passages(cells)
    thr, reps = bootstrap_medians(passages, samples, ci, seed)
    return passages, thr, exponents(thr, reps, ci)
