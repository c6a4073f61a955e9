"""U-Net loss minus test loss against training step for the meancov and Fourier clones.

One column per t (k uniform, then each fixed k), one row per run; seed-mean paired
difference with a band of ± z_threshold standard errors; a marker on the axis where each set
departs from test for good (docs/science.md §12.4).
"""

import matplotlib.pyplot as plt

from easy2hard.core import io as tables
from easy2hard.pipeline import plotting
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
df = tables.read_parquet(snakemake.input[0])  # noqa: F821
LABELS = {"meancov": "meancov clone N(μ, Σ)", "amplitude": "amplitude (random phases)",
          "phase": "phase (mean |X|)", "amplitude_swap": "amplitude_swap"}
COLORS = dict(zip(LABELS, ["tab:red", "tab:blue", "tab:orange", "tab:green"]))
z = df["z_threshold"].iloc[0]
ts = sorted(df["t"].unique(), key=lambda t: (t != "all", int(t) if t != "all" else 0))
runs = sorted(df["run"].unique())
plotting.style()
fig, axes = plt.subplots(len(runs), len(ts), figsize=(3.6 * len(ts), 3.2 * len(runs)),
                         squeeze=False, sharex=True)
for r, run in enumerate(runs):
    for c, t in enumerate(ts):
        ax = axes[r, c]
        sub = df[(df["run"] == run) & (df["t"] == t)]
        for name in [s for s in LABELS if s in set(sub["set"])]:
            s = sub[sub["set"] == name].sort_values("step")
            ax.plot(s["step"], s["diff"], marker=".", color=COLORS[name], label=LABELS[name])
            ax.fill_between(s["step"], s["diff"] - z * s["diff_se"], s["diff"] + z * s["diff_se"],
                            color=COLORS[name], alpha=0.25, lw=0)
            dep = s["departs_at"].iloc[0]
            if dep == dep:  # not NaN; one marker height per set, so that markers never hide
                ax.plot([dep], [0.97 - 0.05 * list(LABELS).index(name)], marker="v", ms=8,
                        color=COLORS[name], transform=ax.get_xaxis_transform())
        ax.axhline(0, color="k", lw=1)
        ax.set(xscale="log", title=f"{run}: k {'uniform' if t == 'all' else '= ' + t}")
        if r == len(runs) - 1:
            ax.set_xlabel("training step")
        if c == 0:
            ax.set_ylabel(f"loss − test loss (±{z:g} s.e.)")
handles, labels = axes[0, 0].get_legend_handles_labels()
fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8)
fig.suptitle(f"{df['dataset'].iloc[0]}: does a clone's loss track the test loss? "
             f"(▼ departure: |gap| > {z:g} s.e. at that checkpoint and every later one; "
             f"{int(df['n_seeds'].max())} seeds)", fontsize=10)
fig.tight_layout(rect=(0, 0.06, 1, 1))
plotting.save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
log.info("drew %d runs x %d t", len(runs), len(ts))
