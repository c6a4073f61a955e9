"""Paper Fig. 1c: the ReLU residual network with a linear map; test loss against step on
the MCM, its mean_iso clone N(μ, σ̄²I) and its meancov clone N(μ, Σ) (common random numbers),
and the gap of each clone's loss to the MCM loss."""

import matplotlib.pyplot as plt

from easy2hard.networks import plots as network_plots
from easy2hard.pipeline.plotting import save_figure, style
from easy2hard.pipeline.scripting import log_to
from easy2hard.core.io import read_parquets

log = log_to(snakemake)  # noqa: F821
style()
df = read_parquets(snakemake.input)  # noqa: F821
df = df.assign(gap_mean_iso=df.loss_mean_iso_clone - df.loss_mcm,
               gap_meancov=df.loss_meancov_clone - df.loss_mcm)
sets = {"loss_mcm": ("MCM", "k"), "loss_mean_iso_clone": ("mean_iso clone N(μ, σ̄²I)", "tab:orange"),
        "loss_meancov_clone": ("meancov clone N(μ, Σ)", "tab:blue")}
fig, (ax, gap) = plt.subplots(1, 2, figsize=(9.5, 3.4))
for col, (label, color) in sets.items():
    network_plots.band(ax, df, col, label, color)
ax.set_xlabel("step")
ax.set_ylabel("test loss  mean (ε(x_t) − z)²")
ax.legend()
for col, (label, color) in (("gap_mean_iso", sets["loss_mean_iso_clone"]),
                            ("gap_meancov", sets["loss_meancov_clone"])):
    network_plots.band(gap, df, col, f"{label} − MCM", color)
gap.axhline(0, color="k", lw=0.8)
gap.set_xlabel("step")
gap.set_ylabel("clone loss − MCM loss")
gap.legend()
first = df.iloc[0]
fig.suptitle(f"Fig. 1c: residual network L={first.L}, m={first.m}, linear map — "
             f"{network_plots.describe(df)}", y=1.02)
fig.tight_layout()
log.info("mean losses by step:\n%s",
         df.groupby("step")[list(sets)].mean().to_string())
save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
