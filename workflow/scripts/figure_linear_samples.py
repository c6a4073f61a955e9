"""Samples of linear diffusion models trained on N < d, N ≈ d, N >> d natural patches, beside
held-out patches and the smallest training set (docs/science.md §10.4)."""

import math

import matplotlib.pyplot as plt
import numpy as np

from easy2hard.core.io import read_parquet
from easy2hard.pipeline import plotting
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
df = read_parquet(snakemake.input[0])  # noqa: F821
rows = df.drop_duplicates("row").sort_values("row")
n, side = df.image.max() + 1, int(math.isqrt(df.groupby(["row", "image"]).size().iloc[0]))
ref = df[df.row == 0].value
vmin, vmax = np.percentile(ref, [1, 99])
plotting.style()
fig, axes = plt.subplots(len(rows), n, figsize=(1.1 * n, 1.25 * len(rows)), squeeze=False)
for r, (row, label) in enumerate(zip(rows.row, rows.label)):
    sub = df[df.row == row]
    for i in range(n):
        ax = axes[r, i]
        ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
        img = sub[sub.image == i].sort_values(["y", "x"]).value.to_numpy()
        if img.size:
            ax.imshow(img.reshape(side, side), cmap="gray", vmin=vmin, vmax=vmax,
                      interpolation="nearest")
        else:
            ax.axis("off")
    axes[r, 0].set_title(label, fontsize=8, loc="left")
    log.info("%s: mean %.3f, std %.3f", label, sub.value.mean(), sub.value.std())
fig.suptitle(f"Linear diffusion on {side}x{side} natural patches (DDPM ancestral samples)", fontsize=10)
fig.tight_layout()
plotting.save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
