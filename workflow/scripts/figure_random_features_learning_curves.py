"""Figure random_features_learning_curves: test error, train error and distance to the
empirical optimal score against ψ_p (fixed ψ_n) and ψ_n (fixed ψ_p), one colour per m, every d,
and the 1/d extrapolation (docs/science.md §13.5, §13.7)."""

import math

import matplotlib.pyplot as plt

from easy2hard.core.io import read_parquet, read_parquets
from easy2hard.pipeline.plotting import save_figure, style
from easy2hard.pipeline.scripting import log_to
from easy2hard.random_features import plots

log = log_to(snakemake)
style()
lam = snakemake.params.figure_lambda
df = plots.with_ratio(read_parquets(snakemake.input.curves))
df = df[df["lambda"] == lam]
ext = read_parquet(snakemake.input.extrapolated)
ext = ext[(ext["lambda"] == lam) & (ext["quantity"] == "test_error")]
ms, dims = sorted(df["m"].unique()), sorted(df["d"].unique())
colors = plots.m_colors(ms)
cols = ("test_error", "train_error", "dist_ratio")
fig, axes = plt.subplots(2, 3, figsize=(14, 8.2))
for row, (curve, other) in enumerate((("psi_p", "psi_n"), ("psi_n", "psi_p"))):
    sub = df[df["curve"] == curve]
    fixed = sub[other].iloc[0]
    for col, q in enumerate(cols):
        ax = axes[row, col]
        for m in ms:
            for d in dims:
                top = d == dims[-1]
                plots.seed_band(ax, sub[(sub["m"] == m) & (sub["d"] == d)], curve, q,
                                colors[m], label=f"{plots.m_label(m)}" if top else None,
                                lw=1.8 if top else 0.8, alpha=0.18 if top else 0,
                                marker="o" if top else None, ms=3)
            e = ext[(ext["curve"] == curve) & (ext["m"] == m)].sort_values(curve)
            if q == "test_error" and len(dims) > 1 and len(e):
                ax.plot(e[curve], e["value_inf"].clip(lower=1e-3), color=colors[m], ls="--",
                        lw=1.1)
        if q == "train_error":
            ax.axhline(math.exp(-2 * sub["t"].iloc[0]), color="k", lw=0.8, ls="-.",
                       label=r"true score ($e^{-2t}$)")
            ax.axhline(sub["train_error_emp"].mean(), color="crimson", lw=1.2, ls="-.",
                       label=r"$s_{emp}$ (memorising)")
        if q == "dist_ratio":
            ax.axhline(1.0, color="k", lw=0.8, ls="-.")
        plots.thresholds(ax, ms, colors, fixed, 1 if curve == "psi_p" else -1)
        ax.set(xscale="log", yscale="log" if q == "test_error" else "linear",
               xlabel=rf"$\psi_{curve[-1]}$ = {curve[-1]}/d",
               title=f"{plots.QUANTITY_LABELS[q]}\n({other.replace('psi', 'ψ')} = {fixed:g})",
               ylim=(0, None) if q != "test_error" else (None, None))
        plots.log_ticks(ax, sub[curve])
    axes[row, 1].legend(fontsize=7.5, loc="center right" if row == 0 else "center left")
axes[0, 0].legend(fontsize=7.5, loc="lower right", title=f"thick: d = {dims[-1]}, thin: d = "
                  f"{', '.join(map(str, dims[:-1]))}\ndashed: d → ∞ (1/d fit)", title_fontsize=7)
fig.suptitle(f"Random-features DSM, Gaussian target, t = {df['t'].iloc[0]:g}, λ = {lam:g} "
             f"(dotted: p = n and p = n m)", fontsize=11)
fig.tight_layout()
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
log.info("drew %d rows, m = %s, d = %s", len(df), ms, dims)
