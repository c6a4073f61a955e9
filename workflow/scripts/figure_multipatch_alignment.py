"""Feature alignment against training step for both objectives at low and high n·SNR²
(the paper's Fig. 2; docs/science.md §11.4): signal max_r |<w_r, μ_j>| and noise memorisation."""

import matplotlib.pyplot as plt

from easy2hard.core.io import read_parquets
from easy2hard.multipatch.plots import seed_band, signal_columns
from easy2hard.pipeline import plotting
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
df = read_parquets(snakemake.input)  # noqa: F821
df = df[df.step > 0]
snrs = snakemake.params.snr  # noqa: F821
objectives = ["classification", "diffusion"]
plotting.style()
fig, axes = plt.subplots(len(snrs), 2, figsize=(9, 3.2 * len(snrs)), squeeze=False)
for i, q in enumerate(snrs):
    for j, obj in enumerate(objectives):
        ax, sub = axes[i, j], df[(df.n_snr2 == q) & (df.objective == obj)]
        for k, col in enumerate(signal_columns(sub)):
            seed_band(ax, sub, "step", col, color=f"C{k}", label=f"signal μ{k + 1}: max_r |<w_r, μ>|")
        seed_band(ax, sub, "step", "align_xi", color="k", ls="--", label="noise: mean_i max_r |<w_r, ξ_i>|")
        mu = sub.mu_norm.iloc[0]
        ax.set(xscale="log", yscale="log", title=f"{obj}, n·SNR² = {q:g} (‖μ‖ = {mu:.3g})",
               xlabel="gradient step", ylabel="alignment")
axes[0, 0].legend(fontsize=7)
fig.suptitle("Signal learning and noise memorisation (seed mean, band: min-max over seeds)", fontsize=10)
fig.tight_layout()
plotting.save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
last = df[df.step == df.groupby("objective").step.transform("max")]
log.info("final step, seed means:\n%s", last.groupby(["objective", "n_snr2"])[
    signal_columns(df) + ["align_xi"]].mean().to_string())
