"""Final signal/noise ratio and weak/strong balance against n·SNR² for both objectives
(the paper's Fig. 1 and Theorems 3.1-3.2; docs/science.md §11.4)."""

import matplotlib.pyplot as plt
import numpy as np

from easy2hard.core.io import read_parquets
from easy2hard.multipatch.plots import OBJECTIVE_COLORS, final_rows
from easy2hard.pipeline import plotting
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
last = final_rows(read_parquets(snakemake.input))  # noqa: F821
plotting.style()
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
for obj, color in OBJECTIVE_COLORS.items():
    sub = last[last.objective == obj]
    steps = int(sub.step.iloc[0])
    for ax, col in ((left, "ratio"), (right, "balance")):
        ax.scatter(sub.n_snr2, sub[col], color=color, alpha=0.4, s=14)
        mean = sub.groupby("n_snr2")[col].mean()
        ax.plot(mean.index, mean.to_numpy(), color=color, marker="o", label=f"{obj} ({steps} steps)")
q = np.sort(last.n_snr2.unique())
left.plot(q, q, color="gray", ls=":", label="n·SNR² (Thm 3.1 rate, constant unknown)")
left.axhline(1, color="gray", lw=0.8)
left.set(yscale="log", xlabel="n·SNR²", ylabel="max_r|<w,μ₁>| / mean_i max_r|<w,ξ_i>|",
         title="signal / noise learning at the last step")
for ax in (left, right):
    ax.set_xscale("log")
    ax.set_xticks(q, [f"{v:g}" for v in q])
    ax.minorticks_off()
right.set( ylim=(0, 1.05), xlabel="n·SNR²", ylabel="weakest / strongest feature alignment",
          title="balance (1 = every feature learnt equally)")
left.legend(fontsize=7)
right.legend(fontsize=7)
fig.suptitle("Dots: seeds; lines: seed means", fontsize=10)
fig.tight_layout()
plotting.save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
log.info("seed means:\n%s", last.groupby(["objective", "n_snr2"])[["ratio", "balance"]].agg(
    ["mean", "min", "max"]).to_string())
