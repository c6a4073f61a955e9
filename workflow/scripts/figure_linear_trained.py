"""Real training against the closed forms (docs/science.md §10.6): KL and test error of
linear denoisers trained with Adam (vs the optimum) and SGD (vs the flow at τ = Σ lr)."""

import matplotlib.pyplot as plt
import seaborn as sns

from easy2hard.core.io import read_parquets
from easy2hard.linear.plots import curve, seed_summary
from easy2hard.pipeline import plotting
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
df = read_parquets(snakemake.input)  # noqa: F821
df = df[df.step > 0]
cols = ["kl", "kl_closed", "test_error", "test_error_closed"]
stats = seed_summary(df, ["target", "d", "optimizer", "N", "step"], cols)
cells = list(stats[["target", "d", "optimizer"]].drop_duplicates().itertuples(index=False))
Ns = sorted(stats.N.unique())
colors = dict(zip(Ns, sns.color_palette("viridis", len(Ns))))
plotting.style()
fig, axes = plt.subplots(2, len(cells), figsize=(3.8 * len(cells), 6.5), squeeze=False)
for c, (target, d, opt) in enumerate(cells):
    sub = stats[(stats.target == target) & (stats.d == d) & (stats.optimizer == opt)]
    for N in Ns:
        s = sub[sub.N == N].sort_values("step")
        for r, key in enumerate(("kl", "test_error")):
            curve(axes[r, c], s.step, s[key], s[f"{key}_se"], color=colors[N], ls="none",
                  label=f"trained, N = {N}")
            curve(axes[r, c], s.step, s[f"{key}_closed"], color=colors[N], marker="",
                  label="closed form" if N == Ns[-1] else None)
    axes[0, c].set(title=f"{target}, d = {d}, {opt}", xscale="log", yscale="log", ylabel="KL")
    axes[1, c].set(xscale="log", yscale="log", xlabel="optimiser step", ylabel="test error (per dim)")
axes[0, 0].legend(fontsize=7)
fig.suptitle("Linear denoisers trained on the DDPM loss (markers: seed mean ± SE) against the "
             "closed forms (lines: Adam → optimum, SGD → gradient flow at τ = Σ lr)", fontsize=10)
fig.tight_layout()
plotting.save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
last = df[df.step == df.groupby(["target", "d", "optimizer"]).step.transform("max")]
log.info("final step:\n%s", seed_summary(last, ["target", "d", "optimizer", "N"], cols).to_string())
