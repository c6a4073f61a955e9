"""Drawing helpers of the random-features figures (docs/science.md §13): one colour per m,
seed means with a band from the smallest to the largest seed."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import NullLocator

QUANTITY_LABELS = {
    "test_error": r"test error $\frac{\Delta}{d}E\|s_A - s\|^2$",
    "train_error": r"train error $\frac{1}{d}\|\sqrt{\Delta}s_A + z\|^2$",
    "dist_ratio": r"$\|s_A - s_{emp}\|^2 / \|s - s_{emp}\|^2$ (train mixture)",
}


def m_label(m: float) -> str:
    return "m = ∞" if math.isinf(m) else f"m = {int(m)}"


def m_colors(ms) -> dict:
    ms = sorted(set(ms))
    return dict(zip(ms, sns.color_palette("viridis", len(ms))[::-1]))


def with_ratio(df: pd.DataFrame) -> pd.DataFrame:
    """Add dist_ratio = dist_emp / gap_emp_true: 0 when s_A is the empirical optimal score,
    about 1 when it is as far from it as the true score is."""
    return df.assign(dist_ratio=df["dist_emp"] / df["gap_emp_true"])


def seed_band(ax, df: pd.DataFrame, x: str, y: str, color, label=None, lw=1.6, alpha=0.18,
              **kw):
    """Seed mean of ``y`` against ``x`` with a min-max band over seeds."""
    g = df.groupby(x)[y].agg(["mean", "min", "max"]).reset_index()
    ax.plot(g[x], g["mean"], color=color, label=label, lw=lw, **kw)
    if alpha:
        ax.fill_between(g[x], g["min"], g["max"], color=color, alpha=alpha, lw=0)
    return g


def thresholds(ax, ms, colors, base: float, power: int):
    """Dotted vertical lines at the interpolation thresholds p = n (grey, at ``base``) and
    p = n m (at base m^power: power 1 on a ψ_p axis, -1 on a ψ_n axis)."""
    ax.axvline(base, color="0.4", ls=":", lw=1)
    for m in ms:
        if not math.isinf(m) and m > 1:
            ax.axvline(base * m**power, color=colors[m], ls=":", lw=1)


def log_ticks(ax, values, axis: str = "x"):
    """Plain tick labels at the grid values of a log axis."""
    values = sorted(set(np.round(values, 6)))
    setter = ax.set_xticks if axis == "x" else ax.set_yticks
    setter(values, [f"{v:g}" for v in values])
    (ax.xaxis if axis == "x" else ax.yaxis).set_minor_locator(NullLocator())
