"""Test and train denoising error against N/d for several d (docs/science.md §10.2):
the excess over the population-optimal (Wiener) error, and the memorisation gap."""

import numpy as np

from easy2hard.core.io import read_parquets
from easy2hard.linear.plots import curve, ratio_axis, cells, seed_summary, target_columns
from easy2hard.pipeline import plotting
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
df = read_parquets(snakemake.input)  # noqa: F821
df = df[(df.ridge == 0) & np.isinf(df.tau) & (df.sampler == df.sampler.iloc[0])]
df = df.assign(excess=df.test_error - df.test_error_opt, test_rel=df.test_error / df.test_error_opt,
               train_rel=df.train_error / df.test_error_opt)
stats = seed_summary(df, ["target", "d", "N", "N_over_d"], ["excess", "test_rel", "train_rel"])
plotting.style()
targets, ds, colors, fig, axes = target_columns(df)
for c, target, d, top, bottom, s in cells(stats, targets, ds, axes):
    curve(top, s.N_over_d, s.excess, s.excess_se, color=colors[d], label=f"d = {d}")
    curve(bottom, s.N_over_d, s.test_rel, s.test_rel_se, color=colors[d], label=f"test, d = {d}")
    curve(bottom, s.N_over_d, s.train_rel, s.train_rel_se, color=colors[d], ls="--",
          marker="s", label=f"train, d = {d}")
for c, target in enumerate(targets):
    top, bottom = axes[0, c], axes[1, c]
    top.set(yscale="log", title=target, ylabel="test error − Wiener error (per dim)")
    bottom.set(yscale="log", xlabel="N / d", ylabel="error / Wiener error")
    bottom.axhline(1, color="k", lw=0.8)
    for ax in (top, bottom):
        ratio_axis(ax, stats.N_over_d)
axes[0, 0].legend(fontsize=8)
axes[1, 0].legend(fontsize=7, ncol=2)
fig.suptitle("Linear denoisers at the optimum (λ = 0): DDPM loss averaged over steps k, per "
             "dimension; solid = test, dashed = train", fontsize=10)
fig.tight_layout()
plotting.save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
log.info("test/Wiener and train/Wiener:\n%s", stats.pivot_table(
    index=["target", "d"], columns="N_over_d", values=["test_rel", "train_rel"]).to_string(
    float_format="%.3g"))
