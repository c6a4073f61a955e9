"""Figure loss_landscape: population loss L(m) - L(0) on the sphere against the overlap m."""

import matplotlib.pyplot as plt

from easy2hard.pipeline.plotting import save_figure, style, theory_axes
from easy2hard.pipeline.scripting import log_to
from easy2hard.core.io import read_parquet

log = log_to(snakemake)
style()
df = read_parquet(snakemake.input.landscape)
exps = read_parquet(snakemake.input.exponents)
ts, acts, latents, colors = theory_axes(df)
fig, axes = plt.subplots(len(latents), len(ts), figsize=(4.0 * len(ts), 2.9 * len(latents)),
                         squeeze=False, sharex=True)
for i, lat in enumerate(latents):
    for j, t in enumerate(ts):
        ax = axes[i, j]
        stars = {}
        for act in acts:
            d = df[(df["latent"] == lat) & (df["t"] == t) & (df["activation"] == act)]
            scale = d["L_shift"].abs().max()
            flat = scale <= 1e-9 * max(d["L"].abs().max(), 1e-300)  # constant to rounding
            e = exps[(exps["latent"] == lat) & (exps["t"] == t) & (exps["activation"] == act)]
            ks = e["k_star"].iloc[0] if len(e) else None
            stars[act] = "none" if ks is None or str(ks) == "<NA>" else str(int(ks))
            ls = "-" if d["method"].iloc[0] == "exact" else "--"
            y = 0 * d["L_shift"] if flat else d["L_shift"] / scale
            ax.plot(d["m"], y, ls, color=colors[act], label=act)
        common = max(set(stars.values()), key=list(stars.values()).count)
        odd = ", ".join(f"{a}: {k}" for a, k in stars.items() if k != common)
        ax.text(0.03, 0.04, f"k* = {common}" + (f" ({odd})" if odd else ""),
                transform=ax.transAxes, fontsize=7)
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(f"{lat}, t = {t:g}", fontsize=9)
        if j == 0:
            ax.set_ylabel(r"$(L(m)-L(0)) / \max|\cdot|$")
for ax in axes[-1]:
    ax.set_xlabel("overlap m")
fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="upper center", ncol=len(acts),
           fontsize=8, bbox_to_anchor=(0.5, 0.985))
fig.suptitle("Population loss on the sphere (pSGD): decreasing in m means the spike attracts "
             "(curves normalised; an exactly flat loss is drawn at 0)", fontsize=10, y=1.0)
fig.tight_layout(rect=(0, 0, 1, 0.97))
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
log.info("drew %d latents x %d t", len(latents), len(ts))
