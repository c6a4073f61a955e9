"""Shared pieces of the linear-stage figures: seed means with standard errors, and curves
whose infinite values (a collapsed sampling distribution, KL = ∞) show as markers."""

from __future__ import annotations

import numpy as np
import pandas as pd


def seed_summary(df: pd.DataFrame, keys: list[str], cols: list[str]) -> pd.DataFrame:
    """Mean and standard error (sd / sqrt(seeds)) of ``cols`` over seeds, per ``keys``.
    A group with an infinite value has mean ∞ and standard error 0."""
    g = df.groupby(keys)[cols]
    out = g.mean()
    se = g.std(ddof=1) / np.sqrt(g.count())
    se = se.where(np.isfinite(out), 0.0).fillna(0.0)
    return out.join(se.add_suffix("_se")).reset_index()


def curve(ax, x, y, se=None, *, color=None, label=None, ls="-", marker="o"):
    """A line with error bars; points where y = ∞ are drawn as ▲ at the top of the axes."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    finite = np.isfinite(y)
    ax.errorbar(x[finite], y[finite], yerr=None if se is None else np.asarray(se)[finite],
                color=color, label=label, ls=ls, marker=marker, ms=3, lw=1.2, capsize=2)
    if (~finite).any():
        ax.plot(x[~finite], np.full((~finite).sum(), 0.97), ls="none", marker="^", ms=5,
                color=color, transform=ax.get_xaxis_transform(), clip_on=False)


def ratio_axis(ax, values) -> None:
    """Log x axis of N/d with the computed ratios as plain tick labels, and a line at N = d."""
    ax.set_xscale("log")
    ticks = sorted(set(values))
    ax.set_xticks(ticks, [f"{v:g}" for v in ticks], fontsize=7, rotation=90)
    ax.minorticks_off()
    ax.axvline(1, color="grey", lw=0.8)


def target_columns(df: pd.DataFrame, rows: int = 2):
    """(targets, ds, colour per d, fig, axes): one column per target, ``rows`` rows."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    targets, ds = list(dict.fromkeys(df.target)), sorted(df.d.unique())
    colors = dict(zip(ds, sns.color_palette("viridis", len(ds))))
    fig, axes = plt.subplots(rows, len(targets), figsize=(4.2 * len(targets), 3.5 * rows),
                             squeeze=False)
    return targets, ds, colors, fig, axes


def cells(stats: pd.DataFrame, targets, ds, axes):
    """Yield (column, target, d, top axes, bottom axes, rows of (target, d) sorted by N)."""
    for c, target in enumerate(targets):
        for d in ds:
            s = stats[(stats.target == target) & (stats.d == d)].sort_values("N")
            yield c, target, d, axes[0, c], axes[1, c], s
