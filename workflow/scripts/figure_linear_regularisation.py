"""Ridge and early stopping (docs/science.md §10.3): KL and test error against N/d for each
ridge λ (trained to τ = ∞) and each gradient-flow time τ (λ = 0), for one (target, d)."""

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from easy2hard.core.io import read_parquet
from easy2hard.linear.plots import curve, ratio_axis, seed_summary
from easy2hard.pipeline import plotting
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
df = read_parquet(snakemake.input[0])  # noqa: F821
df = df[df.sampler == snakemake.params.sampler]  # noqa: F821
df = df.assign(excess=df.test_error - df.test_error_opt)
stats = seed_summary(df, ["ridge", "tau", "N", "N_over_d"], ["kl_per_dim", "excess"])
panels = [("ridge", np.isinf(stats.tau), "λ", "ridge λ (τ = ∞)"),
          ("tau", stats.ridge == 0, "τ", "training time τ (λ = 0)")]
plotting.style()
fig, axes = plt.subplots(2, 2, figsize=(9, 7.5))
for c, (axis, keep, sym, title) in enumerate(panels):
    sub = stats[keep]
    values = sorted(sub[axis].unique())
    colors = dict(zip(values, sns.color_palette("rocket_r", len(values))))
    for v in values:
        s = sub[sub[axis] == v].sort_values("N")
        label = f"{sym} = {'∞' if np.isinf(v) else f'{v:g}'}"
        curve(axes[0, c], s.N_over_d, s.kl_per_dim, s.kl_per_dim_se, color=colors[v], label=label)
        curve(axes[1, c], s.N_over_d, s.excess, s.excess_se, color=colors[v])
    axes[0, c].set(title=title, yscale="log", ylabel="KL / d")
    axes[1, c].set(yscale="log", xlabel="N / d", ylabel="test error − Wiener error (per dim)")
    axes[0, c].legend(fontsize=8)
    for ax in axes[:, c]:
        ratio_axis(ax, stats.N_over_d)
fig.suptitle(f"{df.target.iloc[0]}, d = {df.d.iloc[0]}, {snakemake.params.sampler} sampler: "  # noqa: F821
             "ridge and early stopping (▲ = KL ∞)", fontsize=10)
fig.tight_layout()
plotting.save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
log.info("KL/d:\n%s", stats.pivot_table(index=["ridge", "tau"], columns="N_over_d",
                                         values="kl_per_dim").to_string(float_format="%.3g"))
