"""Figure hermite_coefficients: c_k, ℓ_k and c_k ℓ_k per activation and latent, k* marked."""

import matplotlib.pyplot as plt

from easy2hard.pipeline.plotting import save_figure, style, theory_axes
from easy2hard.pipeline.scripting import log_to
from easy2hard.core.io import read_parquet

log = log_to(snakemake)
style()
df = read_parquet(snakemake.input.hermite)
exps = read_parquet(snakemake.input.exponents)
ts, acts, latents, colors = theory_axes(df)
nrow, ncol = 1 + len(latents), len(ts) + 1
fig, axes = plt.subplots(nrow, ncol, figsize=(3.3 * ncol, 2.3 * nrow), squeeze=False, sharex=True)
for j, t in enumerate(ts):  # row 0: c_k of Ψ_t per activation
    d0 = df[(df["t"] == t) & (df["latent"] == latents[0])]
    for act in acts:
        d = d0[d0["activation"] == act]
        axes[0, j].plot(d["k"], d["c_k"], "o-", ms=3, color=colors[act], label=act)
    axes[0, j].set_title(f"$c_k$ of $\\Psi_t$, t = {t:g}", fontsize=9)
axes[0, -1].axis("off")
axes[0, -1].legend(*axes[0, 0].get_legend_handles_labels(), loc="center", fontsize=8,
                   title="activation")
for i, lat in enumerate(latents, start=1):
    dl = df[df["latent"] == lat]
    for j, t in enumerate(ts):
        ax = axes[i, j]
        for act in acts:
            d = dl[(dl["t"] == t) & (dl["activation"] == act)]
            ax.plot(d["k"], d["product"].clip(-1e6, 1e6), "o-", ms=3, color=colors[act])
            e = exps[(exps["t"] == t) & (exps["latent"] == lat) & (exps["activation"] == act)]
            if len(e) and e["k_star"].notna().iloc[0]:
                ks = int(e["k_star"].iloc[0])
                y = e["product"].iloc[0]
                ax.plot([ks], [y], "*", ms=11, color=colors[act],
                        mec="k" if e["learns"].iloc[0] else "r", mew=0.9)
        ax.set_title(f"$c_k \\ell_k$: {lat}, t = {t:g}", fontsize=9)
    d = dl[(dl["t"] == ts[0]) & (dl["activation"] == acts[0])]
    axes[i, -1].bar(d["k"], d["l_k"].clip(-1e6, 1e6), color="0.4")
    axes[i, -1].set_title(f"$\\ell_k$: {lat}", fontsize=9)
for ax in axes.flat:
    if ax.axison:
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.axhline(0, color="k", lw=0.5)
for ax in axes[-1]:
    ax.set_xlabel("k")
fig.suptitle(r"Hermite coefficients. $\star$ = $k^*$ at $c_{k^*}\ell_{k^*}$ (black edge: < 0, "
             r"pSGD learns; red edge: > 0, it does not). Correlated latents: $\star$ = "
             r"order-2 coupling $c_2\tau$ to the covariance spike. Symlog y (linear in $\pm10^{-3}$)",
             fontsize=9)
fig.tight_layout()
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
log.info("drew %d x %d panels", nrow, ncol)
