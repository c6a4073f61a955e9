"""Figures of the theory stage. Each drawing function takes ``(inputs, params)`` and returns
the figure and the data it drew (the contract of ``easy2hard.pipeline.plan.stage``)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ..core.io import read_parquet


def radial_term(inputs: dict, params: dict):
    """L_0(r) - L_0(0) against r per activation and t (paper Fig. 2): symlog and log-log."""
    df = read_parquet(inputs["radial"][0])
    ts = sorted(df["t"].unique())
    acts = list(dict.fromkeys(df["activation"]))
    colors = dict(zip(acts, sns.color_palette("tab10", len(acts))))
    fig, axes = plt.subplots(2, len(ts), figsize=(4.2 * len(ts), 7.5), squeeze=False,
                             sharey="row")
    drawn = []
    for j, t in enumerate(ts):
        for act in acts:
            d = df[(df["t"] == t) & (df["activation"] == act)].sort_values("r")
            tag = "attracts" if d["zero_attracts"].iloc[0] else "repels"
            label = f"{act} (w=0 {tag}; ~r^{d['loglog_slope'].iloc[0]:.1f})"
            ls = "--" if act == "scaled_tanh" else "-"
            axes[0, j].plot(d["r"], d["L0_shift"], ls, color=colors[act], label=label)
            axes[1, j].plot(d["r"], d["L0_shift"].clip(lower=1e-300), ls, color=colors[act])
            drawn.append(d[["t", "activation", "r", "L0_shift"]])
        axes[0, j].set_title(f"t = {t:g}")
        axes[0, j].set(xlabel="norm r", xlim=(0, df["r"].max()))
        axes[0, j].set_yscale("symlog", linthresh=1e-3)
        axes[1, j].set(xscale="log", yscale="log", xlabel="norm r")
        axes[0, j].axhline(0, color="k", lw=0.6)
        axes[0, j].legend(fontsize=6.5, loc="upper left")
    axes[0, 0].set_ylabel(r"$L_0(r) - L_0(0)$ (symlog)")
    axes[1, 0].set_ylabel(r"$L_0(r) - L_0(0)$ (log-log)")
    fig.suptitle("Radial term at zero overlap: $L_0$ increasing near $r=0$ means $w=0$ "
                 "attracts plain SGD", fontsize=10)
    fig.tight_layout()
    return fig, {"radial": pd.concat(drawn, ignore_index=True)}
