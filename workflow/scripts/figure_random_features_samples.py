"""Figure random_features_samples: distance of samples to the nearest training point against
that of fresh target samples, for the memorising and the generalising model (§13.6)."""

import matplotlib.pyplot as plt
import numpy as np

from easy2hard.core.io import read_parquet
from easy2hard.pipeline.plotting import save_figure, style
from easy2hard.pipeline.scripting import log_to
from easy2hard.random_features import plots

log = log_to(snakemake)
style()
df = read_parquet(snakemake.input[0])
models = list(dict.fromkeys(df["model"]))
fig, axes = plt.subplots(2, len(models), figsize=(4.6 * len(models), 6.6), squeeze=False)
bins = np.linspace(0, df["nn_distance"].quantile(0.995) * 1.05, 40)
for j, name in enumerate(models):
    sub = df[df["model"] == name]
    r = sub.iloc[0]
    norm_bins = np.linspace(0, sub["norm"].quantile(0.995) * 1.05, 40)
    for source, color in (("target", "0.5"), ("model", "crimson")):
        s = sub[sub["source"] == source]
        label = (f"fresh target samples (median {s['nn_distance'].median():.2f})"
                 if source == "target" else f"model samples (median {s['nn_distance'].median():.2f})")
        axes[0, j].hist(s["nn_distance"].clip(upper=bins[-1]), bins=bins, color=color,
                        alpha=0.55, label=label)
        axes[1, j].hist(s["norm"].clip(upper=norm_bins[-1]), bins=norm_bins, color=color,
                        alpha=0.55, label=source)
    axes[0, j].set(title=f"{name}: ψ_n = {r['psi_n']:g} (n = {r['n']}), ψ_p = {r['psi_p']:g} "
                   f"(p = {r['p']})\n{plots.m_label(r['m'])}, λ = {r['lambda']:g}, d = {r['d']}",
                   xlabel="distance to nearest training point / sqrt(d)", ylabel="count")
    axes[1, j].set(xlabel="|x| / sqrt(d)", ylabel="count")
    axes[0, j].legend(fontsize=7.5)
    axes[1, j].legend(fontsize=7.5)
fig.tight_layout()
save_figure(fig, snakemake.output.pdf, snakemake.output.png)
log.info("drew %d models", len(models))
