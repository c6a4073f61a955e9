"""Drawing helpers for the MCM network figures (paper Figs. 1c, 3, A.4).

Each takes a tidy table from networks.training.train (one row per run and logged step) and
draws the mean over seeds with a band from the smallest to the largest seed.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..core import activation_names
from ..core.palette import palette
from ..core.tables import read_parquets

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
    colors = palette("viridis", len(values))
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
    for a, color in zip(acts, palette("tab10", len(acts))):
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


# ---- the stage's figures: draw(inputs, params) -> (figure, data drawn)

def _seed_means(df: pd.DataFrame, keys: list[str], y: str = "overlap_v") -> pd.DataFrame:
    """The curves a band draws: mean of ``y`` over seeds per ``keys`` and step (step > 0)."""
    return (df[df.step > 0].groupby(keys + ["step"])[y].mean().reset_index())


def _tables(inputs: dict) -> pd.DataFrame:
    return read_parquets(inputs["tables"])


def fig3a_width(inputs: dict, params: dict):
    """Paper Fig. 3a: wide tied autoencoder with Adam, overlap with v against step per
    width m, with the chance level of each width (dotted: E max_i |cos(w_i, v)| over m
    random neurons, the overlap of a random initialisation)."""
    df = _tables(inputs)
    chance = df.groupby("m")["chance_overlap"].first().to_dict()
    fig, _ = overlap_grid(df, "m", "m", f"Fig. 3a: wide tied autoencoder — {describe(df)}",
                          chance=chance)
    levels = pd.DataFrame({"m": list(chance), "chance_overlap": list(chance.values())})
    return fig, {"curves": _seed_means(df, ["activation", "m"]), "chance": levels,
                 "final": final_rows(df).groupby(["activation", "m"])["overlap_v"].mean()
                 .reset_index()}


def fig3bc_depth(inputs: dict, params: dict):
    """Paper Figs. 3b-c: residual network, overlap with v against step per depth L (top row,
    one panel per activation) and the final overlap against L (bottom left)."""
    df = _tables(inputs)
    fig, axes = overlap_grid(
        df, "L", "L", f"Figs. 3b-c: residual network, m={df.m.iloc[0]} — {describe(df)}", rows=2)
    final_vs(axes[1][0], df, "L")
    axes[1][0].set_title("final overlap against depth L")
    for ax in axes[1][1:]:
        ax.axis("off")
    fig.tight_layout()
    final = final_rows(df).groupby(["activation", "L"])["overlap_v"].mean().reset_index()
    return fig, {"curves": _seed_means(df, ["activation", "L"]), "final": final}


def figA4(inputs: dict, params: dict):
    """Paper Fig. A.4: one row per sweep (params["sweeps"]), overlap with v against step per
    activation, one curve per (width, learning rate)."""
    df, sweeps = _tables(inputs), list(params["sweeps"])
    acts = list(dict.fromkeys(df["activation"]))
    fig, axes = plt.subplots(len(sweeps), len(acts), figsize=(3.2 * len(acts), 3.0 * len(sweeps)),
                             sharey=True, squeeze=False)
    for row, sweep in zip(axes, sweeps):
        sub = df[df.sweep == sweep]
        for ax, a in zip(row, acts):
            cells = sub[sub.activation == a]
            for (m, lr), color in zip(cells.groupby(["m", "lr"]).groups, palette("tab10")):
                band(ax, cells[(cells.m == m) & (cells.lr == lr)], "overlap_v", f"m={m}, lr={lr}",
                     color)
            ax.set_title(f"{sweep}: {ACTIVATION_LABELS.get(a, a)}", fontsize=9)
            ax.set_ylim(0, 1.02)
            ax.set_xlabel("step")
        row[0].set_ylabel(f"overlap with v\n({sub.optimizer.iloc[0]})")
        row[-1].legend(fontsize=8, loc="upper left")
    fig.suptitle(f"Fig. A.4 ({' / '.join(sweeps)}) — {describe(df)}", y=1.01)
    fig.tight_layout()
    return fig, {"curves": _seed_means(df[df.sweep.isin(sweeps)], ["sweep", "activation", "m", "lr"])}


CLONE_SETS = {"loss_mcm": ("MCM", "k"),
              "loss_mean_iso_clone": ("mean_iso clone N(μ, σ̄²I)", "tab:orange"),
              "loss_meancov_clone": ("meancov clone N(μ, Σ)", "tab:blue")}


def fig1c_mcm_clones(inputs: dict, params: dict):
    """Paper Fig. 1c: the ReLU residual network with a linear map; test loss against step on
    the MCM, its mean_iso clone N(μ, σ̄²I) and its meancov clone N(μ, Σ) (common random
    numbers), and the gap of each clone's loss to the MCM loss."""
    df = _tables(inputs)
    df = df.assign(gap_mean_iso=df.loss_mean_iso_clone - df.loss_mcm,
                   gap_meancov=df.loss_meancov_clone - df.loss_mcm)
    fig, (ax, gap) = plt.subplots(1, 2, figsize=(9.5, 3.4))
    for col, (label, color) in CLONE_SETS.items():
        band(ax, df, col, label, color)
    ax.set(xlabel="step", ylabel="test loss  mean (ε(x_t) − z)²")
    ax.legend()
    for col, clone in (("gap_mean_iso", "loss_mean_iso_clone"), ("gap_meancov", "loss_meancov_clone")):
        label, color = CLONE_SETS[clone]
        band(gap, df, col, f"{label} − MCM", color)
    gap.axhline(0, color="k", lw=0.8)
    gap.set(xlabel="step", ylabel="clone loss − MCM loss")
    gap.legend()
    first = df.iloc[0]
    fig.suptitle(f"Fig. 1c: residual network L={first.L}, m={first.m}, linear map — "
                 f"{describe(df)}", y=1.02)
    fig.tight_layout()
    cols = [*CLONE_SETS, "gap_mean_iso", "gap_meancov"]
    return fig, {"losses": df[df.step > 0].groupby("step")[cols].mean().reset_index()}
