"""Paper Fig. 3a: wide tied autoencoder with Adam, overlap with v against step per width m,
with the chance level of each width (dotted)."""

from easy2hard.networks import plots as network_plots
from easy2hard.pipeline.plotting import save_figure, style
from easy2hard.pipeline.scripting import log_to
from easy2hard.core.io import read_parquets

log = log_to(snakemake)  # noqa: F821
style()
df = read_parquets(snakemake.input)  # noqa: F821
# dotted: E max_i |cos(w_i, v)| over m random neurons, the overlap of a random initialisation
chance = df.groupby("m")["chance_overlap"].first().to_dict()
log.info("chance levels: %s", {int(m): round(c, 3) for m, c in chance.items()})
fig, _ = network_plots.overlap_grid(
    df, "m", "m", f"Fig. 3a: wide tied autoencoder — {network_plots.describe(df)}", chance=chance)
fin = network_plots.final_rows(df)
log.info("final overlap_v (mean over seeds):\n%s",
         fin.groupby(["activation", "m"])["overlap_v"].mean().unstack().to_string())
save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
