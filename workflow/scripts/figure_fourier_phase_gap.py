"""Synthetic model: example signals (top) and the relative loss gap against n (bottom), per α.

Top: two signals of the data (sparse phases) and two of the random-phase clone, same
amplitude |k|^-α. Bottom: (L_clone − L_data) / L_clone, seed mean ± 2 s.e. over seeds,
one curve per N; the dashed line is the margin that defines n* (docs/science.md §12.4).
"""

import matplotlib.pyplot as plt
import numpy as np

from easy2hard.core import io as tables
from easy2hard.fourier import analysis
from easy2hard.pipeline import plotting
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
cells = tables.read_parquets(snakemake.input.cells)  # noqa: F821
ex = tables.read_parquet(snakemake.input.examples)  # noqa: F821
margin = snakemake.params.margin  # noqa: F821
gap = analysis.relative_gap(cells)
alphas, Ns = sorted(gap["alpha"].unique()), sorted(gap["N"].unique())
colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, len(Ns)))
plotting.style()
fig, axes = plt.subplots(2, len(alphas), figsize=(4.2 * len(alphas), 6.4), squeeze=False)
for c, alpha in enumerate(alphas):
    top, bottom = axes[0, c], axes[1, c]
    for kind, style in (("data", "-"), ("clone", ":")):
        for s, sub in ex[(ex["alpha"] == alpha) & (ex["set"] == kind)].groupby("sample"):
            top.plot(sub["position"], sub["value"], style, color=f"C{s}", lw=1.2,
                     label=f"{kind} {s}")
    top.set(title=f"α = {alpha:g} (N = {ex['N'].iloc[0]})", xlabel="position")
    for N, col in zip(Ns, colors):
        g = gap[(gap["alpha"] == alpha) & (gap["N"] == N) & (gap["n"] > 0)].sort_values("n")
        se = g["rel_gap_se"].fillna(0)
        bottom.plot(g["n"], g["rel_gap"], marker=".", color=col, label=f"N = {N}")
        bottom.fill_between(g["n"], g["rel_gap"] - 2 * se, g["rel_gap"] + 2 * se, color=col, alpha=0.2, lw=0)
    bottom.axhline(margin, color="k", ls="--", lw=1)
    bottom.axhline(0, color="grey", lw=0.8)
    bottom.set(xscale="log", xlabel="samples n")
axes[0, 0].set_ylabel("signal x")
axes[0, 0].legend(fontsize=7, ncol=2)
axes[1, 0].set_ylabel("(L_clone − L_data) / L_clone")
axes[1, 0].legend(fontsize=8)
fig.suptitle(f"Sparse phases vs random phases with the same |k|^-α spectrum "
             f"({int(gap['n_seeds'].max())} seeds, ±2 s.e.; dashed: margin {margin:g})", fontsize=10)
fig.tight_layout()
plotting.save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
log.info("drew %d alphas x %d N", len(alphas), len(Ns))
