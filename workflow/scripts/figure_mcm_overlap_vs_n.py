"""Figure: seed-mean overlap (band: ± one standard deviation over seeds) against n, one
curve per N, panels by spike (columns) and projection (rows). Below each raw row, the same
curves against n / (N^{k*-1} (ln N)^{[k*=2]}) with k* from the theory's tables: the curves
for different N collapse where the theory's sample complexity holds."""

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from easy2hard.mcm import analysis as ma
from easy2hard.pipeline.plotting import save_figure, style
from easy2hard.pipeline.scripting import log_to
from easy2hard.core.io import read_parquets

log = log_to(snakemake)  # noqa: F821
sm = snakemake  # noqa: F821
style()
curves = ma.mean_curves(ma.with_target(read_parquets(sm.input.tables)))
curves = curves[curves["n"] > 0]
exponents = read_parquets(sm.input.exponents)
spikes = sorted(curves["spike"].unique())
projections = sorted(curves["projection"].unique(), reverse=True)  # sphere first
rows = [(proj, scale) for proj in projections for scale in ("raw", "rescaled")]
Ns = sorted(curves["N"].unique())
colors = dict(zip(Ns, sns.color_palette("viridis", len(Ns))))
styles = dict(zip(sorted(curves["activation"].unique()), ["-", "--", ":", "-."] * 4))
fig, axes = plt.subplots(len(rows), len(spikes), squeeze=False, sharey=True,
                         figsize=(4.2 * len(spikes), 3.3 * len(rows)))
for (i, (proj, scale)), (j, sp) in ((a, b) for a in enumerate(rows) for b in enumerate(spikes)):
    ax = axes[i, j]
    sub = curves[(curves["spike"] == sp) & (curves["projection"] == proj)]
    xlabel = "samples n"
    for (N, act, *rest), c in sub.groupby(["N", "activation", *ma.SETTING[2:]]):
        c = c.sort_values("n")
        x = c["n"].to_numpy(float)
        if scale == "rescaled":
            setting = dict(zip(["N", "activation", *ma.SETTING[2:]], [N, act, *rest]),
                           spike=sp, sweep=c["sweep"].iloc[0])
            expo, log_factor = ma.theory_exponent(exponents, setting)
            if not np.isfinite(expo):
                continue
            x = ma.rescale_n(x, N, expo, log_factor)
            xlabel = f"n / N^{expo:g}" + (" ln N" if log_factor else "")
        ax.plot(x, c["mean"], styles[act], color=colors[N],
                label=f"N={N}" + (f", {act}" if len(styles) > 1 else ""))
        ax.fill_between(x, c["mean"] - c["std"].fillna(0), c["mean"] + c["std"].fillna(0),
                        color=colors[N], alpha=0.2, lw=0)
    ax.set_xscale("log")
    ax.set_ylim(0, 1.02)
    algo = "pSGD" if proj == "sphere" else "plain SGD"
    ax.set_title(f"{sp} spike, {algo}" + (", rescaled by theory" if scale == "rescaled" else ""),
                 fontsize=9)
    ax.set_xlabel(xlabel)
    if j == 0:
        ax.set_ylabel("overlap |<w, spike>| / ‖w‖")
    if ax.lines:
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "no theory prediction", ha="center", transform=ax.transAxes)
fig.tight_layout()
save_figure(fig, sm.output.pdf, sm.output.png)
log.info("drew %d curves", len(curves.groupby(["spike", *ma.SETTING, "N"])))
