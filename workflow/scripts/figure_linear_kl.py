"""KL(sampling ‖ target) per dimension against N/d for several d, one column per target
(docs/science.md §10.5): the collapse, the transition at N ≍ d and the d/(4N) law."""

import numpy as np

from easy2hard.core.io import read_parquets
from easy2hard.linear.plots import curve, ratio_axis, cells, seed_summary, target_columns
from easy2hard.pipeline import plotting
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
df = read_parquets(snakemake.input)  # noqa: F821
df = df[(df.ridge == 0) & np.isinf(df.tau) & (df.sampler == snakemake.params.sampler)]  # noqa: F821
floor = df.kl_full_pool.fillna(df.kl_opt)  # KL of the model with all data: population or pool
df = df.assign(floor=floor / df.d, scaled=(df.kl - floor) * df.N / df.d**2)
stats = seed_summary(df, ["target", "d", "N", "N_over_d", "kl_wishart", "floor"],
                     ["kl_per_dim", "scaled"])
plotting.style()
targets, ds, colors, fig, axes = target_columns(df)
for c, target, d, top, bottom, s in cells(stats, targets, ds, axes):
    curve(top, s.N_over_d, s.kl_per_dim, s.kl_per_dim_se, color=colors[d], label=f"d = {d}")
    top.plot(s.N_over_d, s.kl_wishart / d, color=colors[d], ls=":", lw=1)
    if target == "natural_patches":
        top.axhline(s["floor"].iloc[0], color=colors[d], ls="-.", lw=0.8)
    curve(bottom, s.N_over_d, s.scaled, s.scaled_se, color=colors[d])
for c, target in enumerate(targets):
    top, bottom = axes[0, c], axes[1, c]
    x = np.geomspace(1.1, stats.N_over_d.max(), 50)
    top.plot(x, 0.25 / x, color="k", ls="--", lw=1, label="d / (4N)")
    bottom.axhline(0.25, color="k", ls="--", lw=1)
    top.set(yscale="log", title=target, ylabel="KL / d")
    bottom.set(ylim=(0, 1.5), xlabel="N / d", ylabel="N (KL − KL_∞) / d²  (Gaussian: → 1/4)")
    for ax in (top, bottom):
        ratio_axis(ax, stats.N_over_d)
axes[0, 0].legend(fontsize=8, title="dotted: Gaussian theory", title_fontsize=7)
fig.suptitle(f"Linear diffusion, λ = 0, trained to optimum, {snakemake.params.sampler} sampler: "  # noqa: F821
             "KL(sampling ‖ target); ▲ = ∞ (samples collapse onto the training span); "
             "dash-dot: KL_∞ of patches (whole training split)", fontsize=9)
fig.tight_layout()
plotting.save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
log.info("KL/d by (target, d, N/d):\n%s", stats.pivot_table(
    index=["target", "d"], columns="N_over_d", values="kl_per_dim").to_string(float_format="%.4g"))
log.info("N (KL - KL_inf) / d^2:\n%s", stats.pivot_table(
    index=["target", "d"], columns="N_over_d", values="scaled").to_string(float_format="%.3g"))
log.info("KL_inf / d:\n%s", stats.groupby(["target", "d"])["floor"].first().to_string())
