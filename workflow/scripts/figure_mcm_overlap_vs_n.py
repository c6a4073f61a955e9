"""Figure: seed-mean overlap (band: ± one standard deviation over seeds) against n, one
curve per N, panels by spike (columns) and projection (rows)."""

import matplotlib.pyplot as plt
import seaborn as sns

from easy2hard import mcm_analysis as ma
from easy2hard.plotting import save_figure, style
from easy2hard.scripting import log_to
from easy2hard.tables import read_parquets

log = log_to(snakemake)  # noqa: F821
sm = snakemake  # noqa: F821
style()
curves = ma.mean_curves(ma.with_target(read_parquets(sm.input)))
curves = curves[curves["n"] > 0]
spikes = sorted(curves["spike"].unique())
projections = sorted(curves["projection"].unique(), reverse=True)  # sphere first
Ns = sorted(curves["N"].unique())
colors = dict(zip(Ns, sns.color_palette("viridis", len(Ns))))
styles = dict(zip(sorted(curves["activation"].unique()), ["-", "--", ":", "-."] * 4))
fig, axes = plt.subplots(len(projections), len(spikes), squeeze=False, sharey=True,
                         figsize=(4.2 * len(spikes), 3.3 * len(projections)))
for (i, proj), (j, sp) in ((a, b) for a in enumerate(projections) for b in enumerate(spikes)):
    ax = axes[i, j]
    sub = curves[(curves["spike"] == sp) & (curves["projection"] == proj)]
    for (N, act, *_), c in sub.groupby(["N", "activation", *ma.SETTING[2:]]):
        c = c.sort_values("n")
        ax.plot(c["n"], c["mean"], styles[act], color=colors[N],
                label=f"N={N}" + (f", {act}" if len(styles) > 1 else ""))
        ax.fill_between(c["n"], c["mean"] - c["std"].fillna(0), c["mean"] + c["std"].fillna(0),
                        color=colors[N], alpha=0.2, lw=0)
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    ax.set_title(f"{sp} spike, {'pSGD' if proj == 'sphere' else 'plain SGD'}")
    ax.set_xlabel("samples n")
    if j == 0:
        ax.set_ylabel("overlap |<w, spike>| / ‖w‖")
    if len(sub):
        ax.legend(fontsize=7)
save_figure(fig, sm.output.pdf, sm.output.png)
log.info("drew %d curves", len(curves.groupby(["spike", *ma.SETTING, "N"])))
