"""Summaries of the fourier stage (docs/science.md §12.4): how long a clone's loss tracks the
test loss, and the number of samples n* after which a denoiser uses phase information."""

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
    """Seed-mean relative gap (L_clone − L_data) / L_clone per (N, alpha, n), with its s.e.

    The per-run gap is a mean over the same held-out noise (common random numbers); its
    spread over seeds gives the standard error (NaN for one seed).
    """
    df = cells.assign(rel_gap=(cells["loss_clone"] - cells["loss_data"]) / cells["loss_clone"])
    g = df.groupby(["N", "alpha", "n"])["rel_gap"]
    return pd.DataFrame({"rel_gap": g.mean(), "rel_gap_se": g.std(ddof=1) / np.sqrt(g.size()),
                         "n_seeds": g.size()}).reset_index()


def thresholds(cells: pd.DataFrame, margin: float) -> pd.DataFrame:
    """n* per (N, alpha): the first logged n where the seed-mean relative gap >= margin.

    n* is interpolated linearly in (log n, gap) between the last logged n below the margin
    and the first at or above it; NaN when the gap never reaches the margin within n_max.
    """
    rows = []
    for (N, alpha), sub in relative_gap(cells).groupby(["N", "alpha"]):
        sub = sub.sort_values("n")
        n, gap = sub["n"].to_numpy(float), sub["rel_gap"].to_numpy()
        hit = np.flatnonzero(gap >= margin)
        n_star = np.nan
        if len(hit):
            i = hit[0]
            n_star = n[i]
            if i > 0 and n[i - 1] > 0:
                w = (margin - gap[i - 1]) / (gap[i] - gap[i - 1])
                n_star = float(np.exp(np.log(n[i - 1]) + w * (np.log(n[i]) - np.log(n[i - 1]))))
        rows.append({"N": int(N), "alpha": float(alpha), "margin": float(margin), "n_star": n_star,
                     "n_max": n[-1], "final_gap": gap[-1], "max_gap": gap.max(),
                     "n_seeds": int(sub["n_seeds"].max())})
    return pd.DataFrame(rows)
