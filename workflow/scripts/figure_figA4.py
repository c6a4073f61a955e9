"""Paper Fig. A.4: one row per sweep (the narrow autoencoder with Adam; the wide one with
plain SGD at a larger learning rate), overlap with v against step per activation. Any
sweeps may be compared this way (config/authors.yaml: the authors' setting and the project's)."""

import matplotlib.pyplot as plt
import seaborn as sns

from easy2hard.networks import plots as network_plots
from easy2hard.pipeline.plotting import save_figure, style
from easy2hard.pipeline.scripting import log_to
from easy2hard.core.io import read_parquets

log = log_to(snakemake)  # noqa: F821
style()
df = read_parquets(snakemake.input)  # noqa: F821
sweeps = list(snakemake.params.sweeps)  # noqa: F821
acts = list(dict.fromkeys(df["activation"]))
fig, axes = plt.subplots(len(sweeps), len(acts), figsize=(3.2 * len(acts), 3.0 * len(sweeps)),
                         sharey=True, squeeze=False)
for row, sweep in zip(axes, sweeps):
    sub = df[df.sweep == sweep]
    for ax, a in zip(row, acts):
        cells = sub[sub.activation == a]
        for (m, lr), color in zip(cells.groupby(["m", "lr"]).groups,
                                  sns.color_palette("tab10")):
            network_plots.band(ax, cells[(cells.m == m) & (cells.lr == lr)], "overlap_v",
                               f"m={m}, lr={lr}", color)
        ax.set_title(f"{sweep}: {network_plots.ACTIVATION_LABELS.get(a, a)}", fontsize=9)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("step")
    row[0].set_ylabel(f"overlap with v\n({sub.optimizer.iloc[0]})")
    row[-1].legend(fontsize=8, loc="upper left")
fig.suptitle(f"Fig. A.4 ({' / '.join(sweeps)}) — {network_plots.describe(df)}", y=1.01)
fig.tight_layout()
fin = network_plots.final_rows(df)
log.info("final overlap_v (mean over seeds):\n%s",
         fin.groupby(["sweep", "activation"])["overlap_v"].mean().unstack().to_string())
save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
