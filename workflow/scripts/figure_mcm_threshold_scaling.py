"""Figure: n* (seed-mean overlap first reaching `level`) against N on log-log axes, with
the fitted slope ± its standard error per setting and the theory's slope beside it."""

import matplotlib.pyplot as plt
import numpy as np

from easy2hard import mcm_analysis as ma
from easy2hard.plotting import save_figure, style
from easy2hard.scripting import log_to
from easy2hard.tables import read_parquets

log = log_to(snakemake)  # noqa: F821
sm = snakemake  # noqa: F821
style()
level = sm.params.level
thr = ma.thresholds(read_parquets(sm.input), level)
fig, ax = plt.subplots(figsize=(6.2, 4.6))
for key, c in thr.groupby(["spike", *ma.SETTING], dropna=False):
    sp, sweep, act, proj = key[:4]
    c = c.sort_values("N")
    slope, se, icpt = ma.loglog_slope(c["N"], c["n_star"])
    k = ma.k_star(sp)
    theory = ma.theory_slope(k)
    ok = np.isfinite(c["n_star"])
    label = (f"{sp} ({act}, {'pSGD' if proj == 'sphere' else 'SGD'}): slope "
             f"{slope:.2f} ± {se:.2f}, theory {theory:g}" + (" (× ln N)" if k == 2 else ""))
    line, = ax.plot(c["N"][ok], c["n_star"][ok], "o", label=label)
    ax.plot(c["N"][~ok], c["n_max"][~ok], "v", mfc="none", color=line.get_color())
    if np.isfinite(slope):
        Ns = np.array([c["N"].min(), c["N"].max()], float)
        ax.plot(Ns, np.exp(icpt) * Ns**slope, "-", color=line.get_color())
        ref = c[ok].iloc[0]
        ax.plot(Ns, ref["n_star"] * (Ns / ref["N"]) ** theory, ":", color=line.get_color())
    log.info("%s: n* = %s, slope %.3f ± %.3f (theory %g)", key, c["n_star"].round(0).tolist(),
             slope, se, theory)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("input dimension N")
ax.set_ylabel(f"n* (mean overlap ≥ {level:g})")
ax.set_title("solid: fit, dotted: theory slope, ▽: not reached by n_max", fontsize=9)
ax.legend(fontsize=7, loc="upper left")
save_figure(fig, sm.output.pdf, sm.output.png)
