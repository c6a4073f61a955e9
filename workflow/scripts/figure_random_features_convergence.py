"""Figure random_features_convergence: the test error against 1/d at every ψ_p of the ψ_p
curve, one panel per m, with the fit E_inf + c/d used for d -> inf (docs/science.md §13.7)."""

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from easy2hard.core.io import read_parquet, read_parquets
from easy2hard.pipeline.plotting import save_figure, style
from easy2hard.pipeline.scripting import log_to
from easy2hard.random_features import plots

log = log_to(snakemake)
style()
lam = snakemake.params.figure_lambda
df = read_parquets(snakemake.input.curves)
df = df[(df["lambda"] == lam) & (df["curve"] == "psi_p")]
ext = read_parquet(snakemake.input.extrapolated)
ext = ext[(ext["lambda"] == lam) & (ext["curve"] == "psi_p") & (ext["quantity"] == "test_error")]
ms, psis = sorted(df["m"].unique()), sorted(df["psi_p"].unique())
colors = dict(zip(psis, sns.color_palette("viridis", len(psis))))
fig, axes = plt.subplots(1, len(ms), figsize=(3.8 * len(ms), 3.8), squeeze=False, sharey=True)
inv = np.linspace(0, 1 / df["d"].min(), 20)
for ax, m in zip(axes[0], ms):
    for psi in psis:
        g = (df[(df["m"] == m) & (df["psi_p"] == psi)].groupby("d")["test_error"]
             .agg(["mean", "sem"]).reset_index())
        ax.errorbar(1 / g["d"], g["mean"], yerr=g["sem"].fillna(0), fmt="o", ms=3,
                    color=colors[psi], label=f"ψ_p = {psi:g}")
        e = ext[(ext["m"] == m) & (ext["psi_p"] == psi)]
        if len(e):
            ax.plot(inv, e["value_inf"].iloc[0] + e["slope_inv_d"].iloc[0] * inv, "--",
                    color=colors[psi], lw=0.8)
    ax.set(xlabel="1/d", yscale="log", title=f"{plots.m_label(m)}, ψ_n = {df['psi_n'].iloc[0]:g}",
           xlim=(0, None))
axes[0, 0].set_ylabel("test error (seed mean ± s.e.)")
axes[0, -1].legend(fontsize=6.5, ncol=2)
fig.suptitle(f"Convergence in d: dashed = least-squares fit E_∞ + c/d (λ = {lam:g})",
             fontsize=10)
fig.tight_layout()
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
log.info("drew %d ψ_p x %d m", len(psis), len(ms))
