"""Figures of the synthetic phase-learning part of the fourier stage (docs/science.md §12).

Every function has the figure-registry signature ``draw(inputs, params) -> (Figure,
{name: DataFrame})``: it reads its tables, draws, and returns the data it drew.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..core.tables import read_parquet, read_parquets
from . import analysis


def phase_gap(inputs: dict, params: dict):
    """Denoiser: example signals (top) and the improvement over the best linear denoiser,
    (L_linear − L_data)/L_linear, against n (bottom, seed mean ± 2 s.e., one curve per N),
    per α; dashed: the margin that defines n*, dotted: the Bayes-optimal denoiser's."""
    cells, ex, margin = read_parquets(inputs["cells"]), read_parquet(inputs["examples"][0]), params["margin"]
    gap = analysis.relative_gap(cells)
    alphas, Ns = sorted(gap["alpha"].unique()), sorted(gap["N"].unique())
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(Ns)))
    fig, axes = plt.subplots(2, len(alphas), figsize=(4.2 * len(alphas), 6.4), squeeze=False)
    drawn = []
    for c, alpha in enumerate(alphas):
        top, bottom = axes[0, c], axes[1, c]
        for kind, style in (("data", "-"), ("clone", ":")):
            for s, sub in ex[(ex["alpha"] == alpha) & (ex["set"] == kind)].groupby("sample"):
                top.plot(sub["position"], sub["value"], style, color=f"C{s}", lw=1.2, label=f"{kind} {s}")
        top.set(title=f"α = {alpha:g} (N = {ex['N'].iloc[0]})", xlabel="position")
        for N, col in zip(Ns, colors):
            g = gap[(gap["alpha"] == alpha) & (gap["N"] == N) & (gap["n"] > 0)].sort_values("n")
            se = g["improvement_se"].fillna(0)
            bottom.plot(g["n"], g["improvement"], marker=".", color=col, label=f"N = {N}")
            bottom.fill_between(g["n"], g["improvement"] - 2 * se, g["improvement"] + 2 * se,
                                color=col, alpha=0.2, lw=0)
            if g["bayes_improvement"].notna().any():
                bottom.axhline(g["bayes_improvement"].iloc[-1], color=col, ls=":", lw=1)
            drawn.append(g)
        bottom.axhline(margin, color="k", ls="--", lw=1)
        bottom.axhline(0, color="grey", lw=0.8)
        bottom.set(xscale="log", xlabel="samples n")
    axes[0, 0].set_ylabel("signal x")
    axes[0, 0].legend(fontsize=7, ncol=2)
    axes[1, 0].set_ylabel("(L_linear − L_data) / L_linear")
    axes[1, 0].legend(fontsize=8)
    fig.suptitle(f"Denoiser on sparse-phase signals: loss below the best linear denoiser "
                 f"({int(gap['n_seeds'].max())} seeds, ±2 s.e.; dashed: margin {margin:g}; "
                 f"dotted: Bayes-optimal)", fontsize=10)
    fig.tight_layout()
    return fig, {"gap": pd.concat(drawn, ignore_index=True)}


def _error_curves(c: pd.DataFrame, N: int, alpha: float) -> pd.DataFrame:
    """Median test error over seeds per logged n, a stopped run counting at its last logged
    error (it stopped after reaching its level), and the fraction of seeds that reached the
    level by n (the empirical distribution of n*: it crosses ½ at the median n*)."""
    wide = c.pivot_table(index="n", columns="seed", values="error").sort_index().ffill()
    level = c.groupby("seed")["error_level"].first()
    reached = (wide <= level).cummax()
    return pd.DataFrame({"n": wide.index, "error": wide.median(axis=1).to_numpy(),
                         "reached": reached.mean(axis=1).to_numpy(), "N": N, "alpha": alpha,
                         "n_over_N3": wide.index / N**3})


def classifier_errors(inputs: dict, params: dict):
    """Classifier, one column per α, one curve per N, against n / N³, two rows per readout:
    the seed-median test error (dashed: each N's error level, dotted: the planted neuron's
    error), and the fraction of seeds that reached the level (crossing ½ at the median n*)."""
    cells = analysis.with_readout(read_parquets(inputs["cells"]))
    cells = cells[cells["n"] > 0]
    alphas, Ns = sorted(cells["alpha"].unique()), sorted(cells["N"].unique())
    readouts = sorted(cells["readout"].unique())
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(Ns)))
    fig, axes = plt.subplots(2 * len(readouts), len(alphas), figsize=(3.4 * len(alphas), 2.8 * 2 * len(readouts)),
                             squeeze=False, sharey="row", sharex=True)
    drawn = []
    for i, readout in enumerate(readouts):
        for j, alpha in enumerate(alphas):
            top, bottom = axes[2 * i, j], axes[2 * i + 1, j]
            cell = cells[(cells["alpha"] == alpha) & (cells["readout"] == readout)]
            for N, col in zip(Ns, colors):
                c = cell[cell["N"] == N]
                if c.empty:
                    continue
                d = _error_curves(c, N, alpha).assign(readout=readout)
                top.plot(d["n_over_N3"], d["error"], color=col, lw=1.2, label=f"N = {N}")
                top.axhline(c["error_level"].mean(), color=col, ls="--", lw=0.7)
                bottom.step(d["n_over_N3"], d["reached"], where="post", color=col, lw=1.2)
                drawn.append(d)
            if len(cell):
                top.axhline(cell["oracle_error"].mean(), color="k", ls=":", lw=0.8)
            top.set(xscale="log", title=f"{readout}, α = {alpha:g}")
            bottom.axhline(0.5, color="grey", lw=0.8)
            bottom.set(xscale="log", ylim=(-0.03, 1.03))
        axes[2 * i, 0].set_ylabel("test error (seed median)")
        axes[2 * i + 1, 0].set_ylabel("seeds at the level")
    for ax in axes[-1]:
        ax.set_xlabel("samples n / N³")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"One-neuron online SGD: signal vs its random-phase clone ({cells['seed'].nunique()} "
                 f"seeds; dashed: error level, dotted: planted neuron)", fontsize=10)
    fig.tight_layout()
    return fig, {"errors": pd.concat(drawn, ignore_index=True)}


def _reference(ax, Ns, N_fit, n_fit, drawn):
    """N³ and N³ ln² N (grey dotted and dash-dotted), each with the prefactor fitted to the
    points (N_fit, n_fit) by least squares in log (the geometric mean of n / law)."""
    for name, law, ls in (("N³", lambda N: N**3, ":"), ("N³ ln² N", lambda N: N**3 * np.log(N) ** 2, "-.")):
        c = float(np.exp(np.mean(np.log(n_fit / law(N_fit)))))
        ax.plot(Ns, c * law(Ns), color="grey", ls=ls, lw=1, label=f"∝ {name}")
        drawn.append(pd.DataFrame({"series": name, "N": Ns, "n": c * law(Ns)}))


def _classifier_points(ax, c, e, col, style, label, nudge):
    """One readout and α: medians with their bootstrap interval (an open upper end, +inf,
    drawn up to the budget with an open ▲ cap), censored medians as open ▲ at the budget."""
    if len(e) and np.isfinite(e["slope"].iloc[0]):
        r = e.iloc[0]
        label += f": slope {r['slope']:.2f} {_interval(r['slope_lo'], r['slope_hi'])} (N {r['N_fitted']})"
    hit = c[c["n_star"].notna()]
    top = hit["n_star_hi"].where(np.isfinite(hit["n_star_hi"]), hit["n_max"])
    ax.errorbar(hit["N"], hit["n_star"], yerr=[hit["n_star"] - hit["n_star_lo"], top - hit["n_star"]],
                marker=style[0], ls=style[1], color=col, capsize=2, label=label)
    opened = hit[~np.isfinite(hit["n_star_hi"])]
    ax.plot(opened["N"], opened["n_max"], ls="none", marker="^", mfc="none", color=col)
    miss = c[c["n_star"].isna()]
    ax.plot(miss["N"] * nudge, miss["n_max"], ls="none", marker="^", mfc="none", color=col)


def _interval(lo: float, hi: float) -> str:
    def f(v):
        return "∞" if v == np.inf else "−∞" if v == -np.inf else "open" if np.isnan(v) else f"{v:.2f}"
    return f"[{f(lo)}, {f(hi)}]"


READOUT_STYLE = {"he4": ("o", "-"), "normalised": ("D", ":")}


def phase_thresholds(inputs: dict, params: dict):
    """n* against N: the classifier's per readout (filled, bootstrap interval; an open upper
    end drawn open) and the denoiser's (open squares) per α, with N³ and N³ ln² N fitted to
    the same-task points of the first readout's smallest α; censored cells are open
    triangles at the budget, nudged sideways per α. Legend: the fitted exponent over the
    same-task N with its bootstrap interval."""
    thr = analysis.with_readout(read_parquet(inputs["classifier"][0]))
    exps = analysis.with_readout(read_parquet(inputs["exponents"][0]))
    den = read_parquets(inputs["denoiser"]) if inputs.get("denoiser") else pd.DataFrame(columns=["N", "alpha", "n_star", "n_max"])
    alphas = sorted(set(thr["alpha"]) | set(den["alpha"]))
    readouts = sorted(thr["readout"].unique(), key=lambda r: (r != "he4", r))
    fig, ax = plt.subplots(figsize=(7.0, 5.2))
    drawn = []
    for i, alpha in enumerate(alphas):
        col, nudge = f"C{i}", 1.04 ** (i - (len(alphas) - 1) / 2)
        for readout in readouts:
            c = thr[(thr["alpha"] == alpha) & (thr["readout"] == readout)].sort_values("N")
            e = exps[(exps["alpha"] == alpha) & (exps["readout"] == readout)]
            _classifier_points(ax, c, e, col, READOUT_STYLE.get(readout, ("x", "-")),
                               f"{readout} α = {alpha:g}", nudge)
            drawn.append(c.assign(series=f"classifier {readout}"))
        d = den[den["alpha"] == alpha].sort_values("N")
        ax.plot(d["N"], d["n_star"], marker="s", mfc="none", ls="--", color=col,
                label=f"denoiser α = {alpha:g}" if d["n_star"].notna().any() else None)
        ax.plot(d.loc[d["n_star"].isna(), "N"] * nudge, d.loc[d["n_star"].isna(), "n_max"], ls="none",
                marker="v", mfc="none", color=col)
        drawn.append(d.assign(series="denoiser"))
    ref = thr[(thr["alpha"] == thr["alpha"].min()) & (thr["readout"] == readouts[0])
              & thr["n_star"].notna() & thr.get("same_task", True)].sort_values("N")
    if len(ref):
        Ns = np.array(sorted(set(thr["N"]) | set(den["N"])), float)
        _reference(ax, Ns, ref["N"].to_numpy(float), ref["n_star"].to_numpy(float), drawn)
    Ns = sorted(set(thr["N"]) | set(den["N"]))
    ax.set(xscale="log", yscale="log", xlabel="signal length N", ylabel="n* (samples)")
    ax.set_xticks(Ns, [f"{int(n)}" for n in Ns])
    ax.xaxis.set_minor_formatter(plt.NullFormatter())
    ax.legend(fontsize=6, title="▲/▼ open: not reached by the budget (at a bar's top: upper end open)",
              title_fontsize=6)
    fig.suptitle("Samples to learn the phases: classifier (median, bootstrap CI; ○ he4, ◇ normalised "
                 "readout) and denoiser", fontsize=9)
    fig.tight_layout()
    return fig, {"thresholds": pd.concat(drawn, ignore_index=True)}
