"""DDPM loss against training step on train, test and the clones (paper Fig. 1a, A.3).

Top row: loss (mean over seeds, band min..max over seeds, or ±2 standard errors for one
seed); bottom row: the paired difference to the test loss of train, the meancov clone and the
Fourier clones when evaluated (the sets close to test; the others are far off in the top
row), ±2 standard errors.
One column per t ("all" = k uniform, then each fixed k); one pair of rows per run.
"""

import matplotlib.pyplot as plt
import numpy as np

from easy2hard.pipeline import plotting
from easy2hard.core import io as tables
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
df = tables.read_parquets(snakemake.input)  # noqa: F821
LABELS = {"train": "train", "test": "test", "mean": "mean clone N(μ, I)",
          "meancov": "meancov clone N(μ, Σ)", "mean_iso": "mean_iso clone N(μ, σ̄² I)",
          "amplitude": "amplitude (own |X|, random phases)", "phase": "phase (own phases, mean |X|)",
          "amplitude_swap": "amplitude_swap (other's |X|, own phases)"}
COLORS = dict(zip(LABELS, plt.get_cmap("tab10").colors))
ts = sorted(df["t"].unique(), key=lambda t: (t != "all", int(t) if t != "all" else 0))
runs = sorted(df["run"].unique())
plotting.style()
fig, axes = plt.subplots(2 * len(runs), len(ts), figsize=(3.6 * len(ts), 5.2 * len(runs)),
                         squeeze=False, sharex=True)
for r, run in enumerate(runs):
    for c, t in enumerate(ts):
        top, bottom = axes[2 * r, c], axes[2 * r + 1, c]
        sub = df[(df["run"] == run) & (df["t"] == t)]
        for name in [s for s in LABELS if s in set(sub["set"])]:
            g = sub[sub["set"] == name].groupby("step")
            n_seeds = g["seed"].nunique().max()
            mean = g["loss"].mean()
            lo, hi = (g["loss"].min(), g["loss"].max()) if n_seeds > 1 else \
                (mean - 2 * g["loss_se"].mean(), mean + 2 * g["loss_se"].mean())
            top.plot(mean.index, mean, marker=".", color=COLORS[name], label=LABELS[name])
            top.fill_between(mean.index, lo, hi, color=COLORS[name], alpha=0.25, lw=0)
            if name in ("train", "meancov", "amplitude", "phase", "amplitude_swap"):
                d = g["diff_to_test"].mean()
                se = np.sqrt((g["diff_to_test_se"].apply(lambda s: (s ** 2).sum()))) / g.size()
                bottom.plot(d.index, d, marker=".", color=COLORS[name])
                bottom.fill_between(d.index, d - 2 * se, d + 2 * se, color=COLORS[name], alpha=0.25, lw=0)
        bottom.axhline(0, color=COLORS["test"], lw=1)
        top.set(xscale="log", yscale="log", title=f"{run}: k {'uniform' if t == 'all' else '= ' + t}")
        bottom.set(xscale="log", xlabel="training step")
        if c == 0:
            top.set_ylabel("DDPM loss")
            bottom.set_ylabel("loss − test loss (±2 s.e.)")
handles, labels = axes[0, 0].get_legend_handles_labels()
fig.suptitle(f"{df['dataset'].iloc[0]}: loss on real data and on its clones "
             f"({df['n_images'].max()} images per set, seeds {sorted(map(int, df['seed'].unique()))})", fontsize=10)
fig.tight_layout(rect=(0, 0.09, 1, 1))  # room below for the legend, which covers no curve
fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
plotting.save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
log.info("drew %d runs x %d t", len(runs), len(ts))
