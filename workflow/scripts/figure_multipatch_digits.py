"""Noisy-digits (the paper's Figs. 3-4, 7-8; docs/science.md §11.6): test images, the
classifier's input gradient, the diffusion filters' input gradient and the denoised image,
and the feature-learning dynamics of both objectives, per SNR~ (first seed)."""

import matplotlib.pyplot as plt
import numpy as np

from easy2hard.core.io import read_parquet
from easy2hard.multipatch.plots import OBJECTIVE_COLORS, seed_band, side_by_side
from easy2hard.pipeline import plotting
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
maps, align = read_parquet(snakemake.input.maps), read_parquet(snakemake.input.alignment)  # noqa: F821
maps = maps[maps.seed == maps.seed.min()]
scales, k = sorted(maps.snr_scale.unique()), maps.image.max() + 1
kinds = {"input": "test image", "grad_classification": "∇x F_y (classifier)",
         "grad_diffusion": "∇x F (diffusion filters)", "denoised": "denoised x̂₀ (diffusion)"}
plotting.style()
fig = plt.figure(figsize=(1.9 * k + 4.5, 2.2 * len(kinds) * len(scales) / 1.6))
grid = fig.add_gridspec(len(kinds) * len(scales), k + 2, width_ratios=[1] * k + [0.15, 2.6],
                        hspace=0.45)
for s, scale in enumerate(scales):
    for r, (kind, title) in enumerate(kinds.items()):
        for i in range(k):
            ax = fig.add_subplot(grid[s * len(kinds) + r, i])
            rows = maps[(maps.snr_scale == scale) & (maps.kind == kind) & (maps.image == i)]
            img = side_by_side(rows)
            lim = np.abs(img).max() or 1.0
            cmap, vmin = ("gray", img.min()) if kind in ("input", "denoised") else ("RdBu_r", -lim)
            ax.imshow(img, cmap=cmap, vmin=vmin, vmax=img.max() if cmap == "gray" else lim)
            ax.set_xticks([]), ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(title, fontsize=6)
            if r == 0:
                ax.set_title(f"SNR~ {scale:g}, y = {int(rows.label.iloc[0]):+d}", fontsize=7)
    ax = fig.add_subplot(grid[s * len(kinds):(s + 1) * len(kinds), k + 1])
    sub = align[(align.snr_scale == scale) & (align.step > 0)]
    for obj, color in OBJECTIVE_COLORS.items():
        o = sub[sub.objective == obj]
        seed_band(ax, o, "step", "align_signal", color=color, label=f"{obj}: signal")
        seed_band(ax, o, "step", "align_xi", color=color, ls="--", label=f"{obj}: noise")
    ax.set(xscale="log", yscale="log", ylabel="mean_i max_r |<w_r, ·>|",
           xlabel="gradient step" if s == len(scales) - 1 else "")
    ax.legend(fontsize=6, title=f"SNR~ = {scale:g}", title_fontsize=7)
fig.suptitle(f"Noisy-digits ({align.source.iloc[0]}): left half of each image = digit patch, right "
             "half = noise patch", fontsize=9)
plotting.save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
last = align[align.step == align.groupby("objective").step.transform("max")]
log.info("final step, seed means:\n%s", last.groupby(["objective", "snr_scale"])[
    ["align_signal", "align_xi", "ratio", "test_accuracy"]].mean().to_string())
