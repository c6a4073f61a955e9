"""Figure random_features_phase: over (ψ_n, ψ_p), one panel per m, the closeness of the learned
score to the empirical optimal score q = |s_A - s|² / (|s_A - s_emp|² + |s_A - s|²) on the
training mixture (q > 1/2: memorising) and the seed-mean test error in each cell
(docs/science.md §13.5)."""

import math

import matplotlib.pyplot as plt
import numpy as np

from easy2hard.core.io import read_parquet
from easy2hard.pipeline.plotting import save_figure, style
from easy2hard.pipeline.scripting import log_to
from easy2hard.random_features import plots

log = log_to(snakemake)
style()
lam = snakemake.params.figure_lambda
df = read_parquet(snakemake.input[0])
df = df[df["lambda"] == lam].assign(q=lambda x: x["dist_true_mix"] / (x["dist_emp"] + x["dist_true_mix"]))
ms = sorted(df["m"].unique())
psi_n, psi_p = sorted(df["psi_n"].unique()), sorted(df["psi_p"].unique())
fig, axes = plt.subplots(1, len(ms), figsize=(4.3 * len(ms), 4.4), squeeze=False,
                         constrained_layout=True)
for ax, m in zip(axes[0], ms):
    g = df[df["m"] == m].groupby(["psi_p", "psi_n"])[["q", "test_error"]].mean()
    grid = {k: g[k].unstack().reindex(index=psi_p, columns=psi_n).to_numpy() for k in g}
    im = ax.imshow(grid["q"], origin="lower", cmap="RdBu_r", vmin=0, vmax=1, aspect="auto")
    if np.nanmin(grid["q"]) < 0.5 < np.nanmax(grid["q"]):
        ax.contour(grid["q"], levels=[0.5], colors="k", linewidths=1.6)
    for (i, j), v in np.ndenumerate(grid["test_error"]):
        dark = abs(grid["q"][i, j] - 0.5) > 0.3
        ax.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=7,
                color="w" if dark else "k")
    x = np.arange(len(psi_n))
    ax.plot(x, np.interp(np.log(psi_n), np.log(psi_p), np.arange(len(psi_p)),
                         left=np.nan, right=np.nan), "k--", lw=1, label="ψ_p = ψ_n")
    if not math.isinf(m):
        ax.plot(x, np.interp(np.log(np.array(psi_n) * m), np.log(psi_p), np.arange(len(psi_p)),
                             left=np.nan, right=np.nan), "k:", lw=1.2, label="ψ_p = m ψ_n")
    ax.grid(False)
    ax.set_xticks(x, [f"{v:g}" for v in psi_n])
    ax.set_yticks(np.arange(len(psi_p)), [f"{v:g}" for v in psi_p])
    ax.set(xlabel="ψ_n = n/d", title=plots.m_label(m))
    ax.legend(fontsize=7, loc="lower right")
axes[0, 0].set_ylabel("ψ_p = p/d")
fig.colorbar(im, ax=axes[0].tolist(), shrink=0.85,
             label="q = |s_A−s|² / (|s_A−s_emp|² + |s_A−s|²)")
fig.suptitle(f"Memorisation (red, solid contour q = ½) in (ψ_n, ψ_p); numbers: test error; "
             f"(d = {df['d'].iloc[0]}, "
             f"t = {df['t'].iloc[0]:g}, λ = {lam:g})", fontsize=9)
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
log.info("memorising fraction per m: %s",
         df.groupby("m")["memorising"].mean().round(2).to_dict())
