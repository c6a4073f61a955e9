"""Nearest-neighbour memorisation of generated images (docs/science.md §7.6).

For a sample x and the training images y_j, let d_1 ≤ d_2 be its Euclidean distances to the
nearest and the second-nearest training image. A memorised sample is a near copy of one
training image: d_1 ≪ d_2. The memorisation literature (Yoon et al. 2023; Gu et al. 2023)
calls a sample memorised when d_1 / d_2 < 1/3, and reports the fraction of such samples. The
same ratio for held-out test images, which no model has seen, is the control: what a sample
that is as new as real data scores.

Ties: a sample equal to two identical training images has d_1 = d_2 = 0; it is a copy, so
its ratio is defined as 0 (memorised). The two distances are computed directly, as
‖x − y‖ of the selected neighbours (the expansion ‖x‖² − 2x·y + ‖y‖², which only ranks the
candidates, leaves round-off that would make such a ratio 0/0 or about 1 by chance).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


#: candidates ranked by the expanded distance whose exact distance is then computed
CANDIDATES = 4


def nearest_ratios(samples: np.ndarray, train: np.ndarray, chunk: int = 256) -> pd.DataFrame:
    """Per sample: ``d1``, ``d2`` (distances to the two nearest training images), ``ratio``
    = d1 / d2 (0 when d2 = 0: a copy of two identical training images) and ``nearest``
    (index of the nearest training image)."""
    x = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)
    y = np.asarray(train, dtype=np.float64).reshape(len(train), -1)
    if len(y) < 2:
        raise ValueError(f"need at least 2 training images for a second neighbour, got {len(y)}")
    norms = (y ** 2).sum(1)
    c = min(CANDIDATES, len(y))
    rows = []
    for i in range(0, len(x), chunk):
        xc = x[i:i + chunk]
        approx = (xc ** 2).sum(1)[:, None] - 2 * xc @ y.T + norms
        cand = np.argpartition(approx, c - 1, axis=1)[:, :c]
        exact = np.sqrt(((xc[:, None, :] - y[cand]) ** 2).sum(-1))
        order = np.argsort(exact, axis=1, kind="stable")[:, :2]
        dist = np.take_along_axis(exact, order, 1)
        first = np.take_along_axis(cand, order[:, :1], 1)[:, 0]
        rows.append(pd.DataFrame({"d1": dist[:, 0], "d2": dist[:, 1], "nearest": first}))
    out = pd.concat(rows, ignore_index=True)
    out["ratio"] = np.divide(out["d1"], out["d2"], out=np.zeros(len(out)),
                             where=out["d2"].to_numpy() > 0)
    return out


def summary(ratios: np.ndarray, threshold: float, n_boot: int, seed: int,
            level: float = 0.95) -> dict:
    """Fraction of ratios below ``threshold`` with a percentile bootstrap CI (``n_boot``
    resamples of the samples, seeded), and the median and quartiles of the ratio."""
    r = np.asarray(ratios, dtype=np.float64)
    rng = np.random.default_rng(seed)
    boot = (r[rng.integers(0, len(r), (n_boot, len(r)))] < threshold).mean(1)
    lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2])
    q25, med, q75 = np.quantile(r, [0.25, 0.5, 0.75])
    return {"n": len(r), "threshold": threshold, "frac_memorised": float((r < threshold).mean()),
            "frac_lo": float(lo), "frac_hi": float(hi), "ci_level": level,
            "ratio_median": med, "ratio_q25": q25, "ratio_q75": q75, "ratio_min": r.min()}


def memorisation_table(samples_by_step: dict, train: np.ndarray, control: np.ndarray,
                       threshold: float, n_boot: int, seed: int) -> pd.DataFrame:
    """One row per sampled checkpoint (``source`` = samples) and one for the control
    (``source`` = test, step NaN: the held-out images ``control``)."""
    rows = []
    for step, x in sorted(samples_by_step.items()):
        r = nearest_ratios(x, train)["ratio"].to_numpy()
        rows.append({"source": "samples", "step": float(step),
                     **summary(r, threshold, n_boot, seed)})
    r = nearest_ratios(control, train)["ratio"].to_numpy()
    rows.append({"source": "test", "step": np.nan, **summary(r, threshold, n_boot, seed)})
    return pd.DataFrame(rows)
