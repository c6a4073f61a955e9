"""n* (samples until the denoiser uses phase information) against N, one line per α."""

import matplotlib.pyplot as plt
import numpy as np

from easy2hard.core import io as tables
from easy2hard.pipeline import plotting
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
df = tables.read_parquet(snakemake.input[0]).sort_values("N")  # noqa: F821
plotting.style()
fig, ax = plt.subplots(figsize=(5.2, 4.2))
for i, (alpha, sub) in enumerate(df.groupby("alpha")):
    hit = sub[sub["n_star"].notna()]
    label = f"α = {alpha:g}"
    if len(hit) >= 2:
        slope = np.polyfit(np.log(hit["N"]), np.log(hit["n_star"]), 1)[0]
        label += f" (slope {slope:.2f})"
    ax.plot(hit["N"], hit["n_star"], marker="o", color=f"C{i}", label=label)
    miss = sub[sub["n_star"].isna()]  # never reached: drawn at the budget, open triangles
    ax.plot(miss["N"] * 1.03 ** (i - 1), miss["n_max"], ls="none", marker="^", mfc="none",
            color=f"C{i}")  # nudged sideways per α so that the triangles do not hide each other
Ns = np.array(sorted(df["N"].unique()), float)
ref = df["n_star"].dropna()
if len(ref):
    ax.plot(Ns, ref.min() * (Ns / Ns[0]) ** 3, color="grey", ls=":", label="∝ N³")
ax.set(xscale="log", yscale="log", xlabel="signal length N",
       ylabel=f"n* (relative gap ≥ {df['margin'].iloc[0]:g})")
ax.set_xticks(Ns, [f"{int(n)}" for n in Ns])
ax.xaxis.set_minor_formatter(plt.NullFormatter())
ax.legend(fontsize=8, title="▲ open: not reached by n_max", title_fontsize=7)
fig.tight_layout()
plotting.save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
log.info("n*:\n%s", df.to_string())
