"""Ancestral-sampling grids at the chosen checkpoints, in step order (paper Fig. 1 panels)."""

import math

import matplotlib.pyplot as plt

from easy2hard.images import grid as image_grid
from easy2hard.pipeline import plotting
from easy2hard.core import io as tables
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
df = tables.read_parquets(snakemake.input)  # noqa: F821
value_range = snakemake.params.range  # noqa: F821
runs = sorted(df["run"].unique())
steps = {run: sorted(df.loc[df["run"] == run, "step"].unique()) for run in runs}
cols = max(len(s) for s in steps.values())
plotting.style()
fig, axes = plt.subplots(len(runs), cols, figsize=(2.4 * cols, 2.6 * len(runs)), squeeze=False)
for r, run in enumerate(runs):
    for c in range(cols):
        ax = axes[r, c]
        ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
        if c >= len(steps[run]):
            ax.axis("off")
            continue
        step = steps[run][c]
        sub = df[(df["run"] == run) & (df["step"] == step)]
        images = image_grid.from_table(sub)
        tile = image_grid.grid(images, math.ceil(math.sqrt(len(images))), value_range)
        ax.imshow(tile, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"step {step}", fontsize=9)
    axes[r, 0].set_ylabel(f"{run}\nseed {df.loc[df['run'] == run, 'seed'].iloc[0]}")
fig.suptitle(f"{df['dataset'].iloc[0]}: DDPM samples (ancestral sampling) during training", fontsize=10)
fig.tight_layout()
plotting.save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
log.info("drew %d runs x %d checkpoints", len(runs), cols)
