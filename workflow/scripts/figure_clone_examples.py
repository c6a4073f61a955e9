"""Real test images beside samples of each Gaussian clone (paper Figs. A.1/A.2)."""

import matplotlib.pyplot as plt

from easy2hard.pipeline import plotting
from easy2hard.core import io as tables
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
df = tables.read_parquet(snakemake.input[0])  # noqa: F821
ROWS = {"test": "test images", "mean": "mean clone\nN(μ, I)",
        "meancov": "meancov clone\nN(μ, Σ)", "mean_iso": "mean_iso clone\nN(μ, σ̄² I)",
        # Fourier clones (docs/science.md §12.2): column i is made from test image i.
        "amplitude": "amplitude\n(own |X|,\nrandom phases)", "phase": "phase\n(own phases,\nmean |X|)",
        "amplitude_swap": "amplitude_swap\n(other's |X|,\nown phases)"}
sets = [s for s in ROWS if s in set(df["set"])]
k = df["image"].max() + 1
lo, hi = df["range_lo"].iloc[0], df["range_hi"].iloc[0]
plotting.style()
fig, axes = plt.subplots(len(sets), k, figsize=(1.1 * k + 1.2, 1.15 * len(sets)), squeeze=False)
for r, name in enumerate(sets):
    sub = df[df["set"] == name]
    for i in range(k):
        img = sub[sub["image"] == i].pivot(index="row", columns="col", values="value")
        ax = axes[r, i]
        ax.imshow(img.to_numpy(), cmap="gray", vmin=lo, vmax=hi, interpolation="nearest")
        ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
    axes[r, 0].set_ylabel(ROWS[name], rotation=0, ha="right", va="center", fontsize=9)
fig.suptitle(f"{df['dataset'].iloc[0]}: test images and "
             f"{'Fourier' if 'phase' in sets else 'Gaussian'} clones "
             f"(grey scale clipped to [{lo:g}, {hi:g}])", fontsize=10)
plotting.save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
log.info("drew %d sets x %d images", len(sets), k)
