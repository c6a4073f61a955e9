"""Figure: n* (seed-mean overlap first reaching `level`) against N on log-log axes, one panel per
spike. Error bars and slope intervals: seed bootstrap (percentile, seeded). Lines: the fit, the
theory N^(k*-1) (ln N)^[k*=2] and, where the theory has ln N, the bare power N^(k*-1)."""

import matplotlib.pyplot as plt
import numpy as np

from easy2hard.core.io import read_parquets
from easy2hard.mcm import analysis as ma
from easy2hard.pipeline.plotting import save_figure, style
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
sm = snakemake  # noqa: F821
style()
level, bs = sm.params.level, sm.params.bootstrap
df = read_parquets(sm.input.tables)
thr = ma.thresholds(df, level)
boot = ma.bootstrap_n_star(df, level, bs["samples"], bs["seed"])
slopes = ma.slope_intervals(thr, boot, bs["ci"], read_parquets(sm.input.exponents))
spikes = sorted(thr["spike"].unique())
fig, axes = plt.subplots(1, len(spikes), figsize=(4.6 * len(spikes), 4.4), squeeze=False)
q = [(1 - bs["ci"]) / 2, (1 + bs["ci"]) / 2]
for ax, sp in zip(axes[0], spikes):
    for _, s in slopes[slopes["spike"] == sp].iterrows():
        key = {k: s[k] for k in ["spike", *ma.SETTING]}
        c = thr.merge(slopes.loc[[s.name], list(key)], on=list(key)).sort_values("N")
        b = boot.merge(slopes.loc[[s.name], list(key)], on=list(key))
        lo, hi = (b.groupby("N")["n_star"].quantile(x).reindex(c["N"]).to_numpy() for x in q)
        ok = np.isfinite(c["n_star"]).to_numpy()
        N, n = c["N"].to_numpy(float), c["n_star"].to_numpy(float)
        line = ax.errorbar(N[ok], n[ok], yerr=[n[ok] - lo[ok], hi[ok] - n[ok]], fmt="o", capsize=3,
                           label=f"{s['activation']}, t={s['t']:g}: fit {s['slope']:.2f} "
                                 f"[{s['slope_lo']:.2f}, {s['slope_hi']:.2f}]")[0]
        ax.plot(N[~ok], c["n_max"].to_numpy(float)[~ok], "v", mfc="none", color=line.get_color())
        Ns = np.geomspace(N.min(), N.max(), 30)
        _, _, icpt = ma.loglog_slope(N, n)
        ax.plot(Ns, np.exp(icpt) * Ns ** s["slope"], "-", color=line.get_color(), lw=1)
        if np.isfinite(s["exponent"]):
            lnN = np.log(Ns) if s["log_factor"] else 1.0
            pred = Ns ** s["exponent"] * lnN
            at = np.interp(np.log(N[ok]), np.log(Ns), np.log(pred))
            ax.plot(Ns, pred * np.exp(np.mean(np.log(n[ok]) - at)), "k:", lw=1.2,
                    label=f"theory {ma.slope_label(s['exponent'], s['log_factor'], N)}" + (
                        f"; n*/ln N: {s['corr']:.2f} [{s['corr_lo']:.2f}, {s['corr_hi']:.2f}]"
                        if s["log_factor"] else ""))
            if s["log_factor"]:
                bare = Ns ** s["exponent"]
                at = np.interp(np.log(N[ok]), np.log(Ns), np.log(bare))
                ax.plot(Ns, bare * np.exp(np.mean(np.log(n[ok]) - at)), "k--", lw=0.8,
                        label=f"N^{s['exponent']:g} without ln N")
        log.info("%s: N=%s n*=%s slope %.3f [%.3f, %.3f], n*/(ln N)^%d slope %.3f [%.3f, %.3f], "
                 "theory %s (contains: %s)", key, N.astype(int).tolist(), np.round(n).tolist(),
                 s["slope"], s["slope_lo"], s["slope_hi"], int(s["log_factor"]), s["corr"],
                 s["corr_lo"], s["corr_hi"], ma.slope_label(s["exponent"], s["log_factor"], N),
                 s["contains"])
    ax.set(xscale="log", yscale="log", xlabel="input dimension N",
           ylabel=f"n* (mean overlap ≥ {level:g})", title=f"{sp} spike")
    ticks = sorted(thr.loc[thr["spike"] == sp, "N"].unique())
    ax.set_xticks(ticks, [str(int(N)) for N in ticks], minor=False)
    ax.set_xticks([], minor=True)
    ax.legend(fontsize=7, loc="upper left")
fig.suptitle(f"bars and [intervals]: {bs['ci']:.0%} seed bootstrap; ▽: n_max reached first",
             fontsize=9)
fig.tight_layout()
save_figure(fig, sm.output.pdf, sm.output.png)
