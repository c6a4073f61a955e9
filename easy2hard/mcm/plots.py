"""Figures of the MCM stage. Each drawing function takes ``(inputs, params)`` and returns the
figure and the data it drew (the contract of ``easy2hard.pipeline.plan.stage``). Inputs:
``tables`` (sweep cells), ``exponents`` (the theory's k* per sweep), ``predicted`` (the
overlap SDE's curves per sweep, easy2hard.theory.dynamics)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..core.palette import palette
from ..core.tables import read_parquets
from . import analysis as ma

ALGO = {"sphere": "pSGD", "none": "plain SGD"}


def _predicted_for(pred: pd.DataFrame, setting: dict, N, kind: str = "sde") -> pd.DataFrame:
    sel = (pred["dynamics"] == kind) & (pred["N"] == N)
    for k in ma.SETTING:
        sel &= (pred[k] == setting[k]) | (pred[k].astype(str) == str(setting[k]))
    return pred[sel].sort_values("n")


def overlap_vs_n(inputs: dict, params: dict):
    """Seed-mean overlap (band: ± one sd over seeds) against n, one colour per N; dashed: the
    overlap SDE's predicted mean. Columns: spike; rows: projection, raw and rescaled by the
    theory's N^{k*-1} (ln N)^{[k*=2]}."""
    curves = ma.mean_curves(ma.with_target(read_parquets(inputs["tables"])))
    curves = curves[curves["n"] > 0]
    exponents = read_parquets(inputs["exponents"])
    pred = read_parquets(inputs["predicted"])
    spikes = sorted(curves["spike"].unique())
    rows = [(p, scale) for p in sorted(curves["projection"].unique(), reverse=True)
            for scale in ("raw", "rescaled")]
    Ns = sorted(curves["N"].unique())
    colors = dict(zip(Ns, palette("viridis", len(Ns))))
    acts = sorted(curves["activation"].unique())  # solid for one activation; dashed: theory
    styles = dict(zip(acts, ["-", "-.", ":", (0, (1, 3))] * 4))
    fig, axes = plt.subplots(len(rows), len(spikes), squeeze=False, sharey=True,
                             figsize=(4.2 * len(spikes), 3.3 * len(rows)))
    drawn = []
    for (i, (proj, scale)), (j, sp) in ((a, b) for a in enumerate(rows) for b in enumerate(spikes)):
        ax = axes[i, j]
        sub = curves[(curves["spike"] == sp) & (curves["projection"] == proj)]
        xlabel = "samples n"
        single = sub["activation"].nunique() == 1
        for key, c in sub.groupby(["N", *ma.SETTING]):
            setting = dict(zip(["N", *ma.SETTING], key), spike=sp)
            N, act = setting["N"], setting["activation"]
            c = c.sort_values("n")
            p = _predicted_for(pred, setting, N) if len(pred) else pred
            x, xp = c["n"].to_numpy(float), p["n"].to_numpy(float) if len(p) else np.array([])
            if scale == "rescaled":
                expo, log_factor = ma.theory_exponent(exponents, setting)
                if not np.isfinite(expo):
                    continue
                x, xp = (ma.rescale_n(v, N, expo, log_factor) for v in (x, xp))
                xlabel = f"n / N^{expo:g}" + (" ln N" if log_factor else "")
            ax.plot(x, c["mean"], "-" if single else styles[act], color=colors[N],
                    label=f"N={N}" + (f", {act}" if len(acts) > 1 else ""))
            ax.fill_between(x, c["mean"] - c["std"].fillna(0), c["mean"] + c["std"].fillna(0),
                            color=colors[N], alpha=0.2, lw=0)
            if len(p):
                ax.plot(xp, p["mean"], "--", color=colors[N], lw=1.0)
            drawn.append(pd.DataFrame({**setting, "panel": f"{sp}/{proj}/{scale}", "x": x,
                                       "simulated": c["mean"].to_numpy()}))
            if len(p):
                drawn.append(pd.DataFrame({**setting, "panel": f"{sp}/{proj}/{scale}", "x": xp,
                                           "predicted": p["mean"].to_numpy()}))
        ax.set_xscale("log")
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{sp} spike, {ALGO[proj]}" + (", rescaled by theory" if scale == "rescaled"
                                                   else ""), fontsize=9)
        ax.set_xlabel(xlabel)
        if j == 0:
            ax.set_ylabel("overlap |<w, spike>| / ‖w‖")
        if ax.lines:
            ax.legend(fontsize=7, title="dashed: SDE prediction", title_fontsize=7)
        else:
            ax.text(0.5, 0.5, "no theory prediction", ha="center", transform=ax.transAxes)
    fig.tight_layout()
    return fig, {"curves": pd.concat(drawn, ignore_index=True) if drawn else pd.DataFrame()}


def threshold_scaling(inputs: dict, params: dict):
    """n* (seed-mean overlap first reaching ``level``) against N, log-log, one panel per
    spike; bars: seed-bootstrap interval. Lines: the fit; the overlap SDE's predicted n*
    (solid black, its prefactor included; shaded, its Monte-Carlo interval over the SDE's
    paths) and its drift-only check (dotted); the k* power law fitted in prefactor only
    (grey)."""
    level, bs = params["level"], params["bootstrap"]
    df = read_parquets(inputs["tables"])
    table = ma.threshold_table(df, read_parquets(inputs["predicted"]), level, bs)
    boot = ma.bootstrap_n_star(df, level, bs["samples"], bs["seed"])
    slopes = ma.slope_intervals(ma.thresholds(df, level), boot, bs["ci"],
                                read_parquets(inputs["exponents"]))
    spikes = sorted(table["spike"].unique())
    fig, axes = plt.subplots(1, len(spikes), figsize=(4.8 * len(spikes), 4.6), squeeze=False)
    for ax, sp in zip(axes[0], spikes):
        for _, s in slopes[slopes["spike"] == sp].iterrows():
            _threshold_panel(ax, s, table.merge(slopes.loc[[s.name], ["spike", *ma.SETTING]])
                             .sort_values("N"))
        ax.set(xscale="log", yscale="log", xlabel="input dimension N",
               ylabel=f"n* (mean overlap ≥ {level:g})", title=f"{sp} spike")
        ticks = sorted(table.loc[table["spike"] == sp, "N"].unique())
        ax.set_xticks(ticks, [str(int(N)) for N in ticks], minor=False)
        ax.set_xticks([], minor=True)
        ax.legend(fontsize=6.5, loc="upper left")
    fig.suptitle(f"bars and [intervals]: {bs['ci']:.0%} seed bootstrap; ▽: n_max reached first; "
                 "black: overlap SDE (docs/science.md §6.8)", fontsize=9)
    fig.tight_layout()
    return fig, {"thresholds": table, "slopes": slopes}


def _threshold_panel(ax, s, c: pd.DataFrame) -> None:
    """One setting's n* against N with its fit, prediction and k* power law."""
    N, n = c["N"].to_numpy(float), c["n_star"].to_numpy(float)
    ok = np.isfinite(n)
    err = [n[ok] - c["n_star_lo"].to_numpy(float)[ok], c["n_star_hi"].to_numpy(float)[ok] - n[ok]]
    line = ax.errorbar(N[ok], n[ok], yerr=np.clip(err, 0, None), fmt="o", capsize=3,
                       label=f"{s['activation']}, t={s['t']:g}: fit {s['slope']:.2f} "
                             f"[{s['slope_lo']:.2f}, {s['slope_hi']:.2f}]")[0]
    color = line.get_color()
    ax.plot(N[~ok], c["n_max"].to_numpy(float)[~ok], "v", mfc="none", color=color)
    if ok.sum() >= 2:
        fit = np.polyfit(np.log(N[ok]), np.log(n[ok]), 1)
        Ns = np.geomspace(N.min(), N.max(), 30)
        ax.plot(Ns, np.exp(np.polyval(fit, np.log(Ns))), "-", color=color, lw=0.8)
    for col, style, name in (("n_star_pred", "k-", "SDE"), ("n_star_drift", "k:", "drift only")):
        p = c[col].to_numpy(float)
        if np.isfinite(p).any():
            slope = ma.loglog_slope(N, p)[0]
            ratio = np.nanmedian(n / p)
            ax.plot(N, p, style, lw=1.3, marker="x" if col == "n_star_pred" else None,
                    label=f"{name}: slope {slope:.2f}" + (
                        f", sim/pred median {ratio:.2f}" if col == "n_star_pred" else ""))
    lo, hi = c["n_star_pred_lo"].to_numpy(float), c["n_star_pred_hi"].to_numpy(float)
    if np.isfinite(lo).any():
        ax.fill_between(N, lo, hi, color="k", alpha=0.12, lw=0, label="SDE's Monte-Carlo interval")
    if np.isfinite(s["exponent"]) and ok.any():
        bare = N ** s["exponent"] * (np.log(N) if s["log_factor"] else 1.0)
        pref = np.exp(np.mean(np.log(n[ok] / bare[ok])))
        ax.plot(N, pref * bare, "-", color="0.6", lw=0.8,
                label=f"k* law {ma.slope_label(s['exponent'], s['log_factor'], N)}")


def projection(inputs: dict, params: dict):
    """pSGD against plain SGD per activation: ‖w‖ against n (top; pSGD stays at 1, plain SGD
    collapses where w = 0 attracts) and the overlap with the spike (bottom)."""
    df = ma.with_target(read_parquets(inputs["tables"]))
    df = df[df["n"] > 0]
    acts = sorted(df["activation"].unique())
    colors = {"sphere": "C0", "none": "C3"}
    fig, axes = plt.subplots(2, len(acts), squeeze=False, sharex=True, sharey="row",
                             figsize=(3.3 * len(acts), 5.6))
    drawn = []
    for j, act in enumerate(acts):
        for (proj, N, sp), c in df[df["activation"] == act].groupby(["projection", "N", "spike"]):
            g = c.groupby("n")[["w_norm", "overlap"]]
            m, s = g.mean(), g.std().fillna(0)
            for i, col in enumerate(["w_norm", "overlap"]):
                axes[i, j].plot(m.index, m[col], color=colors[proj], label=f"{ALGO[proj]}, N={N}")
                axes[i, j].fill_between(m.index, m[col] - s[col], m[col] + s[col],
                                        color=colors[proj], alpha=0.2, lw=0)
            drawn.append(m.reset_index().assign(activation=act, projection=proj, N=N, spike=sp))
        axes[0, j].set_title(f"{act} ({', '.join(sorted(df['spike'].unique()))} spike)", fontsize=9)
        axes[1, j].set_xlabel("samples n")
        axes[0, j].set_xscale("log")
        axes[0, j].set_yscale("log")
        axes[1, j].set_ylim(0, 1.02)
    axes[0, 0].set_ylabel("‖w‖")
    axes[1, 0].set_ylabel("overlap")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig, {"means": pd.concat(drawn, ignore_index=True)}
