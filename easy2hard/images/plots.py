"""Figures of the images stage. Each drawing function takes ``(inputs, params)`` and returns
the figure and the data it drew (the contract of ``easy2hard.pipeline.plan.stage``)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..core import claims as cc
from ..core.tables import read_parquet, read_parquets
from . import grid as image_grid

LABELS = {"train": "train", "test": "test", "mean": "mean clone N(μ, I)",
          "meancov": "meancov clone N(μ, Σ)", "mean_iso": "mean_iso clone N(μ, σ̄² I)",
          "amplitude": "amplitude (own |X|, random phases)",
          "phase": "phase (own phases, mean |X|)",
          "amplitude_swap": "amplitude_swap (other's |X|, own phases)",
          "amplitude_whitened": "amplitude_whitened (random phases, Σ kept)"}
COLORS = dict(zip(LABELS, plt.get_cmap("tab10").colors))
#: sets close to test, drawn as differences to the test loss
GAP_SETS = ("train", "meancov", "amplitude", "phase", "amplitude_swap", "amplitude_whitened")


def _t_order(ts) -> list:
    return sorted(ts, key=lambda t: (t != "all", int(t) if t != "all" else 0))


def _t_title(run: str, t: str) -> str:
    return f"{run}: k {'uniform' if t == 'all' else '= ' + t}"


def _reference_lines(ax, sub: pd.DataFrame) -> list[dict]:
    """Horizontal lines of the step-independent reference losses on test and train."""
    drawn = []
    for col, ls, label in (("wiener_loss", "--", "Wiener (Gaussian optimum)"),
                           ("empirical_loss", ":", "empirical optimum (memorises)")):
        if col not in sub:
            continue
        for name in ("test", "train"):
            rows = sub[sub["set"] == name]
            if len(rows) and not (col == "wiener_loss" and name == "train"):
                value = float(rows[col].mean())
                ax.axhline(value, ls=ls, lw=1.2, color=COLORS[name], label=f"{label}, {name}")
                drawn.append({"denoiser": col[:-5], "set": name, "loss": value})
    return drawn


def clone_losses(inputs: dict, params: dict):
    """U-Net loss against training step on every set (top) and the gaps of the sets close to
    test (bottom, ±2 s.e.), with the Wiener and empirical-optimal references: constant
    losses on test and train (top), the Wiener gap of each set (bottom, dashed)."""
    df = read_parquets(inputs["losses"])
    ts, runs = _t_order(df["t"].unique()), sorted(df["run"].unique())
    fig, axes = plt.subplots(2 * len(runs), len(ts), figsize=(3.6 * len(ts), 5.4 * len(runs)),
                             squeeze=False, sharex=True)
    curves, refs = [], []
    for r, run in enumerate(runs):
        for c, t in enumerate(ts):
            top, bottom = axes[2 * r, c], axes[2 * r + 1, c]
            sub = df[(df["run"] == run) & (df["t"] == t)]
            for name in [s for s in LABELS if s in set(sub["set"])]:
                curves.append(_loss_curve(top, bottom, sub[sub["set"] == name], name).assign(run=run, t=t))
            refs += [d | {"run": run, "t": t} for d in _reference_lines(top, sub)]
            bottom.axhline(0, color=COLORS["test"], lw=1)
            top.set(xscale="log", yscale="log", title=_t_title(run, t))
            bottom.set(xscale="log", xlabel="training step")
            if c == 0:
                top.set_ylabel("DDPM loss")
                bottom.set_ylabel("loss − test loss (±2 s.e.)\ndashed: Wiener gap")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.suptitle(f"{df['dataset'].iloc[0]}: loss on real data and on its clones "
                 f"({df['n_images'].max()} images per set, seeds "
                 f"{sorted(map(int, df['seed'].unique()))})", fontsize=10)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
    return fig, {"unet": pd.concat(curves, ignore_index=True), "reference": pd.DataFrame(refs)}


def _loss_curve(top, bottom, sub: pd.DataFrame, name: str) -> pd.DataFrame:
    """One set's seed-mean loss (band: seed range, or ±2 s.e. for one seed) and, for the
    sets close to test, its gap ±2 s.e. and the Wiener gap. Returns the drawn values."""
    g = sub.groupby("step")
    mean = g["loss"].mean()
    lo, hi = (g["loss"].min(), g["loss"].max()) if g["seed"].nunique().max() > 1 else \
        (mean - 2 * g["loss_se"].mean(), mean + 2 * g["loss_se"].mean())
    top.plot(mean.index, mean, marker=".", color=COLORS[name], label=LABELS[name])
    top.fill_between(mean.index, lo, hi, color=COLORS[name], alpha=0.25, lw=0)
    out = pd.DataFrame({"set": name, "step": mean.index, "loss": mean.to_numpy()})
    if name in GAP_SETS:
        d = g["diff_to_test"].mean()
        se = np.sqrt(g["diff_to_test_se"].apply(lambda s: (s ** 2).sum())) / g.size()
        bottom.plot(d.index, d, marker=".", color=COLORS[name])
        bottom.fill_between(d.index, d - 2 * se, d + 2 * se, color=COLORS[name], alpha=0.25, lw=0)
        out["diff_to_test"] = d.to_numpy()
        if "wiener_diff_to_test" in sub:
            w = g["wiener_diff_to_test"].mean()
            bottom.plot(w.index, w, ls="--", lw=1.2, color=COLORS[name])
            out["wiener_diff_to_test"] = w.to_numpy()
    return out


def clone_gaps(inputs: dict, params: dict):
    """Per run and k (``params["ks"]``: the claims' k and k uniform; every k when absent):
    each clone's U-Net gap to test (solid, ± z s.e.) beside the gap the Wiener denoiser
    predicts for it (dashed), departure markers (▼, from the tracking table); below, against
    step, each set's U-Net − Wiener residual (solid) and Gaussian-twin gap C_S = loss(S) −
    loss(twin_S) (dash-dot, sets with a twin), as the seed mean with its seed interval at
    ``params["level"]`` (``residual_intervals``)."""
    df = read_parquets(inputs["gaps"])
    df = df[df["set"].isin(params["sets"]) & df["t"].isin(params.get("ks", df["t"].unique()))]
    lower = residual_intervals(read_parquets(inputs["losses"]), params)
    track = read_parquets(inputs["tracking"]) if inputs.get("tracking") else None
    z, ts, runs = params["z"], _t_order(df["t"].unique()), sorted(df["run"].unique())
    fig, axes = plt.subplots(2 * len(runs), len(ts), figsize=(3.6 * len(ts), 5.6 * len(runs)),
                             squeeze=False, sharex=True)
    sets = [s for s in LABELS if s in set(df["set"])]
    for r, run in enumerate(runs):
        for c, t in enumerate(ts):
            top, bottom = axes[2 * r, c], axes[2 * r + 1, c]
            for name in sets:
                s = df[(df["run"] == run) & (df["t"] == t) & (df["set"] == name)].sort_values("step")
                _band(top, s["step"], s["diff_to_test"], z * s["diff_to_test_se"], name, LABELS[name])
                top.plot(s["step"], s["wiener_diff_to_test"], ls="--", lw=1.2, color=COLORS[name])
                cell = lower[(lower["run"] == run) & (lower["t"] == t) & (lower["set"] == name)]
                for quantity, ls in LOWER_ROW.items():
                    q = cell[cell["quantity"] == quantity]
                    _interval(bottom, q["step"], q["mean"], q["lo"], q["hi"], name, ls=ls)
                if track is not None:
                    _departure(top, track, run, t, name, sets.index(name))
            for ax in (top, bottom):
                ax.axhline(0, color="k", lw=1)
                ax.set(xscale="log")
            top.set_title(_t_title(run, t))
            bottom.set_xlabel("training step")
            if c == 0:
                top.set_ylabel(f"loss − test loss (±{z:g} s.e.)\ndashed: Wiener gap")
                bottom.set_ylabel(f"U-Net − Wiener gap (solid), C_S (dash-dot)\nseed mean, "
                                  f"{100 * params['level']:g} % seed interval")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    seeds = int(df["n_seeds"].max())
    fig.suptitle(f"{df['dataset'].iloc[0]}: clone gaps against what pair-wise statistics "
                 f"predict ({seeds} seed{'s' * (seeds != 1)}; ▼ lasting departure from test)",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 4), fontsize=8)
    cols = ["run", "t", "set", "step", "diff_to_test", "wiener_diff_to_test", "diff_minus_wiener",
            "diff_minus_wiener_se"] + [c for c in ("twin_gap", "twin_gap_se") if c in df]
    return fig, {"gaps": df[cols].sort_values(cols[:4]).reset_index(drop=True),
                 "residuals": lower}


#: the lower row of the gaps figure: the per-seed column drawn and its line style
LOWER_ROW = {"diff_minus_wiener": "-", "twin_gap": "-."}


def residual_intervals(losses: pd.DataFrame, params: dict) -> pd.DataFrame:
    """Per (run, k, set, step) and lower-row quantity (``LOWER_ROW``): the seed mean and its
    seed interval at ``params["level"]`` (``easy2hard.core.claims.seed_interval``: t below 8
    seeds, bootstrap from 8). With one seed the interval is the image-sampling one, value ±
    z·s.e. (``interval`` says which)."""
    keep = losses["set"].isin(params["sets"]) & losses["t"].isin(
        params.get("ks", losses["t"].unique()))
    rows = []
    for (run, t, name, step), g in losses[keep].groupby(["run", "t", "set", "step"], sort=True):
        for quantity in [q for q in LOWER_ROW if q in g and g[q].notna().any()]:
            v = g[quantity].to_numpy(float)
            if len(v) >= 2:
                mean, lo, hi = cc.seed_interval(v, params["level"])
                kind = "seed"
            else:
                half = params["z"] * float(g[f"{quantity}_se"].iloc[0])
                mean, lo, hi, kind = float(v[0]), float(v[0] - half), float(v[0] + half), "image"
            rows.append({"run": run, "t": t, "set": name, "step": int(step), "quantity": quantity,
                         "mean": mean, "lo": lo, "hi": hi, "n_seeds": len(v), "interval": kind})
    return pd.DataFrame(rows, columns=["run", "t", "set", "step", "quantity", "mean", "lo", "hi",
                                       "n_seeds", "interval"])


def _interval(ax, x, y, lo, hi, name: str, ls: str = "-") -> None:
    ax.plot(x, y, marker=".", ls=ls, color=COLORS[name])
    ax.fill_between(x, lo, hi, color=COLORS[name], alpha=0.25, lw=0)


def _band(ax, x, y, half, name: str, label: str | None = None, ls: str = "-") -> None:
    ax.plot(x, y, marker=".", ls=ls, color=COLORS[name], label=label)
    ax.fill_between(x, y - half, y + half, color=COLORS[name], alpha=0.25, lw=0)


def _departure(ax, track: pd.DataFrame, run: str, t: str, name: str, slot: int) -> None:
    rows = track[(track["run"] == run) & (track["t"] == t) & (track["set"] == name)]
    if len(rows) and rows["departs_at"].iloc[0] == rows["departs_at"].iloc[0]:  # not NaN
        ax.plot([rows["departs_at"].iloc[0]], [0.97 - 0.05 * slot], marker="v", ms=8,
                color=COLORS[name], transform=ax.get_xaxis_transform())


def samples(inputs: dict, params: dict):
    """Ancestral-sampling grids at the chosen checkpoints, in step order (paper Fig. 1)."""
    df = read_parquets(inputs["samples"])
    runs = sorted(df["run"].unique())
    steps = {run: sorted(df.loc[df["run"] == run, "step"].unique()) for run in runs}
    cols = max(len(s) for s in steps.values())
    fig, axes = plt.subplots(len(runs), cols, figsize=(2.4 * cols, 2.6 * len(runs)), squeeze=False)
    drawn = []
    for r, run in enumerate(runs):
        for c in range(cols):
            ax = axes[r, c]
            ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
            if c >= len(steps[run]):
                ax.axis("off")
                continue
            images = image_grid.from_table(df[(df["run"] == run) & (df["step"] == steps[run][c])])
            tile = image_grid.grid(images, math.ceil(math.sqrt(len(images))), params["range"])
            ax.imshow(tile, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_title(f"step {steps[run][c]}", fontsize=9)
            drawn.append({"run": run, "step": steps[run][c], "n_images": len(images),
                          "mean": float(images.mean())})
        axes[r, 0].set_ylabel(f"{run}\nseed {df.loc[df['run'] == run, 'seed'].iloc[0]}")
    fig.suptitle(f"{df['dataset'].iloc[0]}: DDPM samples (ancestral sampling) during training",
                 fontsize=10)
    fig.tight_layout()
    return fig, {"grids": pd.DataFrame(drawn)}


EXAMPLE_ROWS = {"test": "test images", "mean": "mean clone\nN(μ, I)",
                "meancov": "meancov clone\nN(μ, Σ)", "mean_iso": "mean_iso clone\nN(μ, σ̄² I)",
                "amplitude": "amplitude\n(own |X|,\nrandom phases)",
                "phase": "phase\n(own phases,\nmean |X|)",
                "amplitude_swap": "amplitude_swap\n(other's |X|,\nown phases)",
                "amplitude_whitened": "amplitude_\nwhitened\n(random phases,\nΣ kept)"}


def clone_examples(inputs: dict, params: dict):
    """Real test images beside the same columns of each clone (paper Figs. A.1/A.2)."""
    df = read_parquet(inputs["examples"][0])
    sets = [s for s in EXAMPLE_ROWS if s in set(df["set"])]
    k = int(df["image"].max()) + 1
    lo, hi = df["range_lo"].iloc[0], df["range_hi"].iloc[0]
    fig, axes = plt.subplots(len(sets), k, figsize=(1.1 * k + 1.4, 1.2 * len(sets)), squeeze=False)
    for r, name in enumerate(sets):
        sub = df[df["set"] == name]
        for i in range(k):
            img = sub[sub["image"] == i].pivot(index="row", columns="col", values="value")
            ax = axes[r, i]
            ax.imshow(img.to_numpy(), cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
        axes[r, 0].set_ylabel(EXAMPLE_ROWS[name], rotation=0, ha="right", va="center", fontsize=9)
    fig.suptitle(f"{df['dataset'].iloc[0]}: test images and "
                 f"{'Fourier' if 'phase' in sets else 'Gaussian'} clones "
                 f"(grey scale clipped to [{lo:g}, {hi:g}])", fontsize=10)
    drawn = df.groupby("set", sort=False)["value"].agg(["count", "mean", "std"]).reset_index()
    return fig, {"sets": drawn}


def memorisation(inputs: dict, params: dict):
    """Nearest-neighbour memorisation of the samples against training step: the fraction of
    samples with d1/d2 below the threshold (bootstrap CI) and the median ratio (quartile
    band), each beside the same measure on held-out test images (grey)."""
    df = read_parquets(inputs["memorisation"])
    runs = sorted(df["run"].unique())
    fig, axes = plt.subplots(len(runs), 2, figsize=(9, 3.4 * len(runs)), squeeze=False)
    for r, run in enumerate(runs):
        sub = df[df["run"] == run]
        s, ctl = sub[sub["source"] == "samples"].sort_values("step"), sub[sub["source"] == "test"].iloc[0]
        left, right = axes[r]
        left.errorbar(s["step"], s["frac_memorised"], yerr=[s["frac_memorised"] - s["frac_lo"],
                      s["frac_hi"] - s["frac_memorised"]], marker="o", capsize=3, label="U-Net samples")
        left.axhspan(ctl["frac_lo"], ctl["frac_hi"], color="grey", alpha=0.3)
        left.axhline(ctl["frac_memorised"], color="grey", ls="--",
                     label=f"held-out test images ({int(ctl['n'])}), 95 % CI")
        left.set(xscale="log", ylim=(-0.03, 1.03), xlabel="training step",
                 ylabel=f"fraction with d1/d2 < {s['threshold'].iloc[0]:.2f}",
                 title=f"{run}: memorised samples ({int(s['n'].max())} per step, "
                       f"{100 * s['ci_level'].iloc[0]:g} % CI)")
        right.plot(s["step"], s["ratio_median"], marker="o", label="U-Net samples: median")
        right.fill_between(s["step"], s["ratio_q25"], s["ratio_q75"], alpha=0.25, lw=0)
        right.axhspan(ctl["ratio_q25"], ctl["ratio_q75"], color="grey", alpha=0.3,
                      label="held-out test images: quartiles")
        right.axhline(s["threshold"].iloc[0], color="k", ls=":", lw=1)
        right.set(xscale="log", ylim=(0, 1.02), xlabel="training step",
                  ylabel="d1/d2 (nearest / second-nearest)", title=f"{run}: distance ratio")
        left.legend(fontsize=7), right.legend(fontsize=7)
    fig.suptitle(f"{df['dataset'].iloc[0]}: are the samples copies of training images?", fontsize=10)
    fig.tight_layout()
    cols = ["run", "source", "step", "n", "frac_memorised", "frac_lo", "frac_hi", "ratio_median"]
    return fig, {"memorisation": df[cols].reset_index(drop=True)}
