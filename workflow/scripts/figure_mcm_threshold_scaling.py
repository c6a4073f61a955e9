"""Figure: n* (seed-mean overlap first reaching `level`) against N on log-log axes, with
the fitted slope ± its standard error per setting and the theory's slope beside it."""

import matplotlib.pyplot as plt
import numpy as np

from easy2hard.mcm import analysis as ma
from easy2hard.pipeline.plotting import save_figure, style
from easy2hard.pipeline.scripting import log_to
from easy2hard.core.io import read_parquets

log = log_to(snakemake)  # noqa: F821
sm = snakemake  # noqa: F821
style()
level = sm.params.level
thr = ma.thresholds(read_parquets(sm.input.tables), level)
exponents = read_parquets(sm.input.exponents)
fig, ax = plt.subplots(figsize=(6.2, 4.6))
for key, c in thr.groupby(["spike", *ma.SETTING], dropna=False):
    setting = dict(zip(["spike", *ma.SETTING], key))
    sp, act, proj = setting["spike"], setting["activation"], setting["projection"]
    c = c.sort_values("N")
    slope, se, icpt = ma.loglog_slope(c["N"], c["n_star"])
    theory, log_factor = ma.theory_exponent(exponents, setting)
    ok = np.isfinite(c["n_star"])
    label = (f"{sp} ({act}, {'pSGD' if proj == 'sphere' else 'SGD'}): slope "
             f"{slope:.2f} ± {se:.2f}, theory {ma.slope_label(theory, log_factor, c['N'])}")
    line, = ax.plot(c["N"][ok], c["n_star"][ok], "o", label=label)
    ax.plot(c["N"][~ok], c["n_max"][~ok], "v", mfc="none", color=line.get_color())
    if np.isfinite(slope):
        Ns = np.array([c["N"].min(), c["N"].max()], float)
        ax.plot(Ns, np.exp(icpt) * Ns**slope, "-", color=line.get_color())
    if ok.any() and np.isfinite(theory):
        Ns = np.geomspace(c["N"].min(), c["N"].max(), 20)
        ref = c[ok].iloc[0]
        pred = Ns**theory * (np.log(Ns) if log_factor else 1.0)
        ref_pred = ref["N"] ** theory * (np.log(ref["N"]) if log_factor else 1.0)
        ax.plot(Ns, ref["n_star"] * pred / ref_pred, ":", color=line.get_color())
    log.info("%s: n* = %s, slope %.3f ± %.3f (theory %s)", key, c["n_star"].round(0).tolist(),
             slope, se, ma.slope_label(theory, log_factor, c["N"]))
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("input dimension N")
ax.set_ylabel(f"n* (mean overlap ≥ {level:g})")
ax.set_title("solid: fit, dotted: theory slope, ▽: not reached by n_max", fontsize=9)
ax.legend(fontsize=7, loc="upper left")
save_figure(fig, sm.output.pdf, sm.output.png)
