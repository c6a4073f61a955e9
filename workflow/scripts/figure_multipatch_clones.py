"""The diffusion-trained network's DDPM loss on its training data, a held-out test set and the
test set's exact Gaussian clones, at every logged step (docs/science.md §11.5)."""

import matplotlib.pyplot as plt

from easy2hard.core.io import read_parquet
from easy2hard.multipatch.plots import seed_band
from easy2hard.pipeline import plotting
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
df = read_parquet(snakemake.input[0])  # noqa: F821
df = df[df.step > 0]
snrs = sorted(df.n_snr2.unique())
sets = {"train": "C2", "mean": "C1", "meancov": "C0", "test": "k"}  # test last: drawn on top
plotting.style()
fig, axes = plt.subplots(2, len(snrs), figsize=(3.3 * len(snrs), 6), squeeze=False, sharex=True)
for c, q in enumerate(snrs):
    sub = df[df.n_snr2 == q]
    for name, color in sets.items():
        seed_band(axes[0, c], sub[sub.set == name], "step", "loss", color=color, label=name,
                  ls="--" if name == "test" else "-")
        if name != "test":
            s = sub[sub.set == name].assign(z=lambda f: f.diff_to_test / f.diff_to_test_se)
            if name != "train":
                seed_band(axes[1, c], s, "step", "z", color=color, label=f"{name} − test")
    axes[0, c].set(xscale="log", title=f"n·SNR² = {q:g}", ylabel="DDPM loss per coordinate")
    axes[1, c].axhline(0, color="gray", lw=0.8)
    axes[1, c].set(xscale="log", xlabel="gradient step", ylabel="(clone − test) / s.e.")
axes[0, 0].legend(fontsize=7)
axes[1, 0].legend(fontsize=7)
fig.suptitle(f"Diffusion-trained network, t = {df.t.iloc[0]:g}: loss on data and on its Gaussian "
             "clones (common random numbers; band: min-max over seeds)", fontsize=10)
fig.tight_layout()
plotting.save_figure(fig, snakemake.output.pdf, snakemake.output.png)  # noqa: F821
last = df[df.step == df.step.max()]
log.info("last step, seed means:\n%s", last.groupby(["n_snr2", "set"])[
    ["loss", "diff_to_test", "diff_to_test_se"]].mean().to_string())
