"""Paper Figs. 3b-c: residual network, overlap with v against step per depth L (top row,
one panel per activation) and the final overlap against L (bottom left)."""

from easy2hard.networks import plots as network_plots
from easy2hard.pipeline.plotting import save_figure, style
from easy2hard.pipeline.scripting import log_to
from easy2hard.core.io import read_parquets

log = log_to(snakemake)  # noqa: F821
style()
df = read_parquets(snakemake.input)  # noqa: F821
fig, axes = network_plots.overlap_grid(
    df, "L", "L", f"Figs. 3b-c: residual network, m={df.m.iloc[0]} — {network_plots.describe(df)}",
    rows=2)
network_plots.final_vs(axes[1][0], df, "L")
axes[1][0].set_title("final overlap against depth L")
for ax in axes[1][1:]:
    ax.axis("off")
fig.tight_layout()
fin = network_plots.final_rows(df)
log.info("final overlap_v (mean over seeds):\n%s",
         fin.groupby(["activation", "L"])["overlap_v"].mean().unstack().to_string())
save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
