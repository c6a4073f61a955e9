"""Figure: pSGD against plain SGD. Top: ‖w‖ against n (pSGD stays at 1; plain SGD
collapses towards 0 where w = 0 attracts). Bottom: the overlap with the spike."""

import matplotlib.pyplot as plt

from easy2hard.mcm import analysis as ma
from easy2hard.pipeline.plotting import save_figure, style
from easy2hard.pipeline.scripting import log_to
from easy2hard.core.io import read_parquets

log = log_to(snakemake)  # noqa: F821
sm = snakemake  # noqa: F821
style()
df = ma.with_target(read_parquets(sm.input))
df = df[df["n"] > 0]
acts = sorted(df["activation"].unique())
colors = {"sphere": "C0", "none": "C3"}
names = {"sphere": "pSGD", "none": "plain SGD"}
fig, axes = plt.subplots(2, len(acts), squeeze=False, sharex=True, sharey="row",
                         figsize=(3.3 * len(acts), 5.6))
for j, act in enumerate(acts):
    for proj, c in df[df["activation"] == act].groupby("projection"):
        for i, col in enumerate(["w_norm", "overlap"]):
            for (N, sp), cc in c.groupby(["N", "spike"]):
                g = cc.groupby("n")[col]
                m, s = g.mean(), g.std().fillna(0)
                axes[i, j].plot(m.index, m, color=colors[proj], label=f"{names[proj]}, N={N}")
                axes[i, j].fill_between(m.index, m - s, m + s, color=colors[proj], alpha=0.2, lw=0)
        last = c[c["n"] == c["n"].max()]
        log.info("%s %s: final w_norm %.3f, overlap %.3f", act, proj,
                 last["w_norm"].mean(), last["overlap"].mean())
    axes[0, j].set_title(f"{act} ({', '.join(sorted(df['spike'].unique()))} spike)", fontsize=9)
    axes[1, j].set_xlabel("samples n")
    axes[0, j].set_xscale("log")
    axes[0, j].set_yscale("log")
    axes[1, j].set_ylim(0, 1.02)
axes[0, 0].set_ylabel("‖w‖")
axes[1, 0].set_ylabel("overlap")
axes[0, 0].legend(fontsize=7)
save_figure(fig, sm.output.pdf, sm.output.png)
