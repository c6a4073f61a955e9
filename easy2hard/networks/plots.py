"""Drawing helpers for the MCM network figures (paper Figs. 1c, 3, A.4).

Each takes a tidy table from networks.training.train (one row per run and logged step) and
draws the mean over seeds with a band from the smallest to the largest seed.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from ..core import activation_names

ACTIVATION_LABELS = activation_names.LABELS


def band(ax, df: pd.DataFrame, y: str, label: str, color, x: str = "step"):
    """Mean of ``y`` over seeds against ``x`` (x > 0, log axis), with a min-max band."""
    g = df[df[x] > 0].groupby(x)[y].agg(["mean", "min", "max"]).reset_index()
    ax.plot(g[x], g["mean"], color=color, label=label, lw=1.6)
    ax.fill_between(g[x], g["min"], g["max"], color=color, alpha=0.18, lw=0)
    ax.set_xscale("log")


def overlap_grid(df: pd.DataFrame, hue: str, hue_label: str, title: str, y="overlap_v",
                 rows: int = 1, chance: dict | None = None):
    """One panel per activation, one curve per value of ``hue``: overlap against step.

    With ``rows`` > 1 the figure has spare rows below (axes[1:]) for other panels.
    ``chance`` {hue value: level} adds a dotted line per value in the curve's colour.
    """
    acts = list(dict.fromkeys(df["activation"]))
    values = sorted(df[hue].unique())
    colors = sns.color_palette("viridis", len(values))
    fig, axes = plt.subplots(rows, len(acts), figsize=(3.2 * len(acts), 3.0 * rows),
                             squeeze=False)
    for ax in axes[0][1:]:
        ax.sharey(axes[0][0])
    for ax, a in zip(axes[0], acts):
        for value, color in zip(values, colors):
            band(ax, df[(df.activation == a) & (df[hue] == value)], y, f"{hue_label}={value}", color)
            if chance is not None:
                ax.axhline(chance[value], color=color, ls=":", lw=1.2)
        ax.set_title(ACTIVATION_LABELS.get(a, a))
        ax.set_xlabel("step")
        ax.set_ylim(0, 1.02)
    axes[0][0].set_ylabel(f"overlap with {y[-1]}")
    if chance is not None:
        axes[0][-1].plot([], [], "k:", lw=1.2, label="chance (random init)")
    axes[0][-1].legend(fontsize=8, loc="upper left")
    fig.suptitle(title, y=1.02)
    return fig, axes


def describe(df: pd.DataFrame) -> str:
    """One line naming the shared settings of a table, for figure titles."""
    first = df.iloc[0]
    seeds = df["seed"].nunique()
    lrs, ts = (",".join(map(str, sorted(df[k].unique()))) for k in ("lr", "t"))
    data = f"β_u={first.beta_u:g}, mean {first.mean_shift:g}" if "mean_shift" in df else ""
    net = f"b {','.join(sorted(df.output_bias.unique()))}" if "output_bias" in df else ""
    if "c_time" in df and (df.model == "autoencoder").all():
        net += f", c at τ={','.join(map(str, sorted(df.c_time.unique())))}"
    return ", ".join(p for p in (f"N={first.N}, batch {first.batch}, {first.optimizer} lr={lrs}",
                                 f"t={ts}", data, net, f"{seeds} seeds") if p)


def final_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The last logged step of every run."""
    last = df.groupby(["sweep", "N", "m", "L"])["step"].transform("max")
    return df[df.step == last]


def final_vs(ax, df: pd.DataFrame, x: str, y: str = "overlap_v"):
    """Final ``y`` against ``x``, one line per activation (mean and every seed)."""
    fin = final_rows(df)
    acts = list(dict.fromkeys(fin["activation"]))
    for a, color in zip(acts, sns.color_palette("tab10", len(acts))):
        sub = fin[fin.activation == a]
        g = sub.groupby(x)[y].mean()
        ax.plot(g.index, g.values, "o-", color=color, label=ACTIVATION_LABELS.get(a, a))
        jitter = np.linspace(-0.08, 0.08, max(sub.seed.nunique(), 1))
        for j, (_, s) in zip(jitter, sub.groupby("seed")):
            ax.plot(s[x] + j, s[y], ".", color=color, alpha=0.4)
    ax.set_xlabel(x)
    ax.set_ylabel(f"final overlap with {y[-1]}")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
