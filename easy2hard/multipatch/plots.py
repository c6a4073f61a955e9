"""Figures of the multipatch stage (no torch: they run in the plot env). Each drawing function
takes ``(inputs, params)`` and returns the figure and the data it drew (the contract of
``easy2hard.pipeline.plan.stage``)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ..core.tables import read_parquet

OBJECTIVE_COLORS = {"classification": "tab:red", "diffusion": "tab:blue"}
PHASE_STYLE = {"growth": ("o", "-"), "final": ("s", "--")}


def seed_band(ax, df: pd.DataFrame, x: str, y: str, **kw) -> pd.DataFrame:
    """Seed mean of ``y`` against ``x`` as a line, the seeds' min-max range shaded; returns
    the drawn (x, mean, min, max) table."""
    g = df.groupby(x)[y].agg(["mean", "min", "max"]).reset_index()
    line, = ax.plot(g[x], g["mean"], **kw)
    ax.fill_between(g[x], g["min"], g["max"], color=line.get_color(), alpha=0.2, lw=0)
    return g.assign(series=kw.get("label", y))


def side_by_side(maps: pd.DataFrame) -> np.ndarray:
    """One image's [signal | noise] patches as an (h, 2w) array, from its rows of the maps table."""
    parts = []
    for patch in ("signal", "noise"):
        sub = maps[maps.patch == patch]
        h, w = sub.row.max() + 1, sub.col.max() + 1
        img = np.zeros((h, w))
        img[sub.row.to_numpy(), sub.col.to_numpy()] = sub.value.to_numpy()
        parts.append(img)
    return np.concatenate(parts, axis=1)


def _snr_grid(df: pd.DataFrame, grid: dict, objective: str) -> pd.DataFrame:
    """The runs of the n·SNR² grid of one objective (dense signal, width m, first exponent)."""
    return df[(df.objective == objective) & (df.sparsity == 1.0) & (df.m == grid["m"])
              & (df.width_exponent == grid["exponents"][objective][0])]


def alignment(inputs: dict, params: dict):
    """Alignments of both objectives against flow time, and the diffusion train and test loss
    beside them (the paper's Fig. 2 with the losses), at the n·SNR² of ``alignment_snr``."""
    steps = read_parquet(inputs["steps"][0])
    steps = steps[(steps.step > 0) & (steps.sparsity == 1.0)]
    snrs, drawn = params["alignment_snr"], []
    fig, axes = plt.subplots(len(snrs), 3, figsize=(13, 3.3 * len(snrs)), squeeze=False)
    for i, q in enumerate(snrs):
        for j, obj in enumerate(("classification", "diffusion")):
            sub = _snr_grid(steps, params, obj)
            sub = sub[sub.n_snr2 == q]
            ax = axes[i, j]
            drawn.append(seed_band(ax, sub, "flow_time", "align_mu1", color="C0", label=f"{obj}: signal").assign(n_snr2=q))
            drawn.append(seed_band(ax, sub, "flow_time", "align_xi", color="k", ls="--", label=f"{obj}: noise").assign(n_snr2=q))
            leave = sub[sub.phase != "growth"].groupby("seed").flow_time.min()
            for k, t in enumerate(sorted(leave.unique())):
                ax.axvline(t, color="tab:orange", lw=1.2, label="leaves growth (seeds)" if k == 0 else None)
            ax.set(xscale="log", yscale="log", title=f"{obj}, n·SNR² = {q:g}", xlabel="flow time η·step",
                   ylabel="alignment")
            if obj == "diffusion":
                loss = sub.assign(train=sub.loss - 1, test=sub.test_loss - 1)
                for col, color in (("train", "C2"), ("test", "C3")):
                    drawn.append(seed_band(axes[i, 2], loss, "flow_time", col, color=color,
                                           label=f"{col} loss − 1").assign(n_snr2=q))
                for t in sorted(leave.unique()):
                    axes[i, 2].axvline(t, color="tab:orange", lw=1.2)
        axes[i, 2].axhline(0, color="gray", lw=0.8)
        axes[i, 2].set(xscale="log", yscale="symlog", title=f"diffusion loss per coordinate, n·SNR² = {q:g}",
                       xlabel="flow time η·step", ylabel="loss − 1 (zero predictor = 0)")
        axes[i, 2].set_yscale("symlog", linthresh=1e-5)
    axes[0, 0].legend(fontsize=7)
    axes[0, 1].legend(fontsize=7)
    axes[0, 2].legend(fontsize=7)
    fig.suptitle("Signal max_r |<w_r, μ>| and noise mean_i max_r |<w_r, ξ_i>| beside the losses (seed mean, "
                 "band: min-max; orange: the logged steps at which the seeds leave growth)", fontsize=10)
    fig.tight_layout()
    return fig, {"alignment": pd.concat(drawn, ignore_index=True)}


def _fit_label(fits: pd.DataFrame, obj: str, quantity: str, phase: str, a: float) -> str:
    row = fits[(fits.objective == obj) & (fits.quantity == quantity) & (fits.phase == phase)
               & (fits.width_exponent == a)]
    if not len(row):
        return ""
    r = row.iloc[0]
    return f"slope {r.estimate:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]"


def _ratio_panel(ax, runs: pd.DataFrame, fits: pd.DataFrame, params: dict) -> list[pd.DataFrame]:
    """The ratio against n·SNR²: diffusion at the alignment-based end of growth (each growth
    factor of the fits) and at its last step, the classifier at its last step."""
    drawn, dif = [], _snr_grid(runs, params, "diffusion")
    ends = fits[(fits.quantity == "ratio vs n_snr2") & (fits.phase == "alignment")]
    for k, r in enumerate(ends.itertuples()):
        col = f"ratio_x{r.growth_factor:g}"
        label = (f"diffusion, signal alignment {r.growth_factor:g}× initial: slope {r.estimate:.2f} "
                 f"[{r.ci_low:.2f}, {r.ci_high:.2f}]")
        ax.scatter(dif.n_snr2, dif[col], color="tab:blue", alpha=0.3, s=12, marker="os"[k % 2])
        drawn.append(seed_band(ax, dif, "n_snr2", col, color=("tab:blue", "tab:cyan")[k % 2],
                               marker="os"[k % 2], label=label))
    for obj in ("diffusion", "classification"):
        sub, a = _snr_grid(runs, params, obj), params["exponents"][obj][0]
        label = f"{obj}, last step: {_fit_label(fits, obj, 'ratio vs n_snr2', 'final', a)}"
        drawn.append(seed_band(ax, sub, "n_snr2", "ratio_final", color=OBJECTIVE_COLORS[obj], ls="--",
                               marker="^", label=label))
    q = np.sort(dif.n_snr2.unique())
    if len(ends):
        first = dif[f"ratio_x{ends.growth_factor.iloc[0]:g}"]
        const = float(np.exp(np.nanmedian(np.log(first / dif.n_snr2))))
        ax.plot(q, const * q, color="gray", ls=":", label=f"{const:.2f}·n·SNR² (Thm 3.1 rate)")
    ax.axhline(1, color="gray", lw=0.8)
    ax.set(xscale="log", yscale="log", xlabel="n·SNR²", ylabel="max_r|<w,μ₁>| / mean_i max_r|<w,ξ_i>|",
           title="signal / noise learning")
    ax.legend(fontsize=6)
    return drawn


def _flow_panel(ax, fits: pd.DataFrame, paper_flow: float) -> pd.DataFrame:
    """The diffusion ratio's slope in n·SNR² at every fixed flow time (seed-bootstrap band),
    with the alignment-based ends' slopes as horizontal bands and the paper's stated end
    (η × steps read on the mean loss) as a vertical line."""
    rows = fits[(fits.quantity == "ratio vs n_snr2") & (fits.phase == "flow")].sort_values("flow_time")
    ax.plot(rows.flow_time, rows.estimate, color="tab:blue", marker=".", label="slope at fixed flow time")
    ax.fill_between(rows.flow_time, rows.ci_low, rows.ci_high, color="tab:blue", alpha=0.2, lw=0)
    for k, r in enumerate(fits[(fits.quantity == "ratio vs n_snr2") & (fits.phase == "alignment")].itertuples()):
        ax.axhspan(r.ci_low, r.ci_high, color=("tab:orange", "tab:green")[k % 2], alpha=0.2, lw=0,
                   label=f"at {r.growth_factor:g}× initial alignment: {r.estimate:.2f}")
    ax.axvline(paper_flow, color="k", ls="--", lw=1, label=f"paper's end, mean reading ({paper_flow:g})")
    ax.axhline(1, color="gray", ls=":", label="Θ(n·SNR²)")
    ax.axhline(0.5, color="gray", lw=0.8, label="random filters (‖μ‖ alone)")
    ax.set(xscale="log", xlabel="flow time η·step", ylabel="slope of ln ratio on ln n·SNR²",
           title="diffusion: slope of the ratio by where it is read")
    ax.legend(fontsize=6.5)
    return rows.assign(series="slope at fixed flow time")


def phases(inputs: dict, params: dict):
    """Signal/noise ratio against n·SNR² (diffusion at the alignment-based end of growth and at
    its last step, the classifier at its last step, with slopes and CIs); middle: the
    diffusion slope at fixed flow times; right: the flow time at which each run leaves growth
    and (diffusion) memorises, or (classification) reaches loss 0.1."""
    runs, fits = read_parquet(inputs["runs"][0]), read_parquet(inputs["fits"][0])
    fig, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 4.4))
    drawn = _ratio_panel(left, runs, fits, params) + [_flow_panel(middle, fits, params["paper_flow"])]
    factor = fits.loc[fits.phase == "alignment", "growth_factor"].iloc[0]
    for col, obj, color, label in ((f"growth_flow_x{factor:g}", "diffusion", "tab:blue",
                                    f"diffusion: signal alignment {factor:g}× initial"),
                                   ("memorises", "diffusion", "tab:purple", "diffusion test loss > zero predictor"),
                                   ("classifies", "classification", "tab:red", "classifier train loss ≤ 0.1")):
        sub = _snr_grid(runs, params, obj)
        if col in sub and sub[col].notna().any():
            drawn.append(seed_band(right, sub.dropna(subset=[col]), "n_snr2", col, color=color, marker="o", label=label))
    right.set(xscale="log", yscale="log", xlabel="n·SNR²", ylabel="flow time η·step", title="when each phase starts")
    right.legend(fontsize=7)
    fig.suptitle("Lines: seed means (band: min-max over seeds); dots: runs; slope CIs: seed bootstrap of the "
                 "mean per-seed slope", fontsize=10)
    fig.tight_layout()
    return fig, {"phases": pd.concat(drawn, ignore_index=True)}


def width(inputs: dict, params: dict):
    """Width grid: ⟨w, μ⟩ and ⟨w, ξ⟩ at the end of growth and at the end, and the flow times,
    against m for each width prefactor m^{-a}, with fitted and theory exponents."""
    runs, fits = read_parquet(inputs["runs"][0]), read_parquet(inputs["fits"][0])
    runs = runs[(runs.sparsity == 1.0) & (runs.n_snr2 == params["width_n_snr2"])]
    panels = [("diffusion", "align_mu1"), ("diffusion", "align_xi"), ("diffusion", "time"), ("classification", "time")]
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2))
    drawn = []
    for ax, (obj, what) in zip(axes, panels):
        for k, a in enumerate(params["exponents"][obj]):
            sub = runs[(runs.objective == obj) & (runs.width_exponent == a)]
            cols = ([(f"{what}_growth", "growth"), (f"{what}_final", "final")] if what != "time" else
                    [("leaves_growth", "growth"), ("reaches_stationary", "final")] if obj == "diffusion"
                    else [("classifies", "final")])
            for col, phase in cols:
                quantity = f"{col.rsplit('_', 1)[0] if what != 'time' else col} vs m"
                fit = fits[(fits.objective == obj) & (fits.quantity == quantity) & (fits.phase == phase)
                           & (fits.width_exponent == a)]
                theory = f", theory {fit.theory.iloc[0]:+.2f}" if len(fit) else ""
                label = f"m^-{a:g}, {phase}: {_fit_label(fits, obj, quantity, phase, a)}{theory}"
                ok = sub.dropna(subset=[col])
                if len(ok):
                    marker, ls = PHASE_STYLE[phase]
                    drawn.append(seed_band(ax, ok, "m", col, color=f"C{k}", ls=ls, marker=marker, label=label)
                                 .assign(objective=obj, width_exponent=a))
        ax.set(xscale="log", yscale="log", xlabel="width m",
               title=f"{obj}: {what}" + (" (flow time)" if what == "time" else ""))
        ms = sorted(runs.m.unique())
        ax.set_xticks(ms, [str(m) for m in ms])
        ax.minorticks_off()
        ax.legend(fontsize=6)
    fig.suptitle(f"Width grid at n·SNR² = {params['width_n_snr2']:g}: exponents in m with seed-bootstrap CIs "
                 "(Theorem D.1: −1/6, −1/6, 1/3 for m^-1/2)", fontsize=10)
    fig.tight_layout()
    return fig, {"width": pd.concat(drawn, ignore_index=True) if drawn else pd.DataFrame()}


def clones(inputs: dict, params: dict):
    """The diffusion network's loss on train, test and the two Gaussian clones (top) and the
    paired clone − test differences in standard errors (bottom), for the dense signal at
    ``alignment_snr`` and the sparse signal at the sparse grid's n·SNR²."""
    df = read_parquet(inputs["losses"][0])
    df = df[(df.step > 0) & (df.m == params["m"]) & (df.width_exponent == params["exponents"]["diffusion"][0])]
    cols = [(q, 1.0) for q in params["alignment_snr"]] + [(q, params["sparse"]["sparsity"])
                                                          for q in params["sparse"]["n_snr2"]]
    cols = [c for c in dict.fromkeys(cols) if len(df[(df.n_snr2 == c[0]) & (df.sparsity == c[1])])]
    sets = {"train": "C2", "mean": "C1", "meancov": "C0", "test": "k"}
    fig, axes = plt.subplots(2, len(cols), figsize=(3.6 * len(cols), 6.2), squeeze=False, sharex=True)
    drawn = []
    for c, (q, p) in enumerate(cols):
        sub = df[(df.n_snr2 == q) & (df.sparsity == p)]
        for name, color in sets.items():
            s = sub[sub.set == name].assign(loss_m1=lambda f: f.loss - 1)
            drawn.append(seed_band(axes[0, c], s, "step", "loss_m1", color=color, label=name,
                                   ls="--" if name == "test" else "-").assign(n_snr2=q, sparsity=p))
            if name in ("mean", "meancov"):
                s = s.assign(z=s.diff_to_test / s.diff_to_test_se)
                drawn.append(seed_band(axes[1, c], s, "step", "z", color=color, label=f"{name} − test")
                             .assign(n_snr2=q, sparsity=p))
        title = f"n·SNR² = {q:g}" + (", dense signal" if p == 1 else f", sparse signal p = {p:g}")
        axes[0, c].set(xscale="log", title=title, ylabel="DDPM loss per coordinate − 1")
        axes[0, c].set_yscale("symlog", linthresh=1e-5)
        axes[1, c].axhline(0, color="gray", lw=0.8)
        axes[1, c].set(xscale="log", xlabel="gradient step", ylabel="(clone − test) / s.e.")
        axes[1, c].set_yscale("symlog", linthresh=3)
    axes[0, 0].legend(fontsize=7)
    axes[1, 0].legend(fontsize=7)
    fig.suptitle(f"Diffusion-trained network, t = {df.t.iloc[0]:g}: loss on data and on its exact Gaussian "
                 "clones (common random numbers; band: min-max over seeds)", fontsize=10)
    fig.tight_layout()
    return fig, {"clones": pd.concat(drawn, ignore_index=True)}


def digits(inputs: dict, params: dict):
    """Noisy-digits maps at the SNR~ of ``maps_snr_scale`` (first seed): test images, the
    classifier's input gradient, the diffusion filters' input gradient, the denoised image,
    and beside them the dynamics of both objectives (seed bands)."""
    maps, align = read_parquet(inputs["maps"][0]), read_parquet(inputs["alignment"][0])
    maps = maps[maps.seed == maps.seed.min()]
    scales, k = params["maps_snr_scale"], maps.image.max() + 1
    kinds = {"input": "test image", "grad_classification": "∇x F_y (classifier)",
             "grad_diffusion": "∇x F (diffusion filters)", "denoised": "denoised x̂₀ (diffusion)"}
    fig = plt.figure(figsize=(1.9 * k + 4.5, 2.2 * len(kinds) * len(scales) / 1.6))
    grid = fig.add_gridspec(len(kinds) * len(scales), k + 2, width_ratios=[1] * k + [0.15, 2.6], hspace=0.45)
    drawn = []
    for s, scale in enumerate(scales):
        for r, (kind, title) in enumerate(kinds.items()):
            for i in range(k):
                ax = fig.add_subplot(grid[s * len(kinds) + r, i])
                rows = maps[(maps.snr_scale == scale) & (maps.kind == kind) & (maps.image == i)]
                img = side_by_side(rows)
                lim = np.abs(img).max() or 1.0
                cmap, vmin = ("gray", img.min()) if kind in ("input", "denoised") else ("RdBu_r", -lim)
                ax.imshow(img, cmap=cmap, vmin=vmin, vmax=img.max() if cmap == "gray" else lim)
                ax.set_xticks([]), ax.set_yticks([])
                if i == 0:
                    ax.set_ylabel(title, fontsize=6)
                if r == 0:
                    ax.set_title(f"SNR~ {scale:g}, y = {int(rows.label.iloc[0]):+d}", fontsize=7)
        ax = fig.add_subplot(grid[s * len(kinds):(s + 1) * len(kinds), k + 1])
        sub = align[(align.snr_scale == scale) & (align.step > 0)]
        for obj, color in OBJECTIVE_COLORS.items():
            o = sub[sub.objective == obj]
            drawn.append(seed_band(ax, o, "step", "align_signal", color=color, label=f"{obj}: signal").assign(snr_scale=scale))
            drawn.append(seed_band(ax, o, "step", "align_xi", color=color, ls="--", label=f"{obj}: noise").assign(snr_scale=scale))
        ax.set(xscale="log", yscale="log", ylabel="mean_i max_r |<w_r, ·>|",
               xlabel="gradient step" if s == len(scales) - 1 else "")
        ax.legend(fontsize=6, title=f"SNR~ = {scale:g}", title_fontsize=7)
    fig.suptitle(f"Noisy-digits ({align.source.iloc[0]}): left half of each image = digit patch, right "
                 "half = noise patch", fontsize=9)
    return fig, {"dynamics": pd.concat(drawn, ignore_index=True)}


def digits_sweep(inputs: dict, params: dict):
    """Noisy-digits over SNR~: the final signal/noise ratio of both objectives and the
    classifier's test accuracy (lines: seed means, bands: min-max, dots: seeds)."""
    align = read_parquet(inputs["alignment"][0])
    last = align[align.step == align.groupby("objective").step.transform("max")]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    drawn = []
    for obj, color in OBJECTIVE_COLORS.items():
        sub = last[last.objective == obj]
        left.scatter(sub.snr_scale, sub.ratio, color=color, alpha=0.35, s=12)
        drawn.append(seed_band(left, sub, "snr_scale", "ratio", color=color, marker="o", label=obj))
    left.axhline(1, color="gray", lw=0.8)
    left.set(xscale="log", yscale="log", xlabel="SNR~", ylabel="signal / noise learning at the last step",
             title=f"seeds: {last.seed.nunique()}")
    left.legend(fontsize=7)
    cls = last[last.objective == "classification"]
    right.scatter(cls.snr_scale, cls.test_accuracy, color="tab:red", alpha=0.35, s=12)
    drawn.append(seed_band(right, cls, "snr_scale", "test_accuracy", color="tab:red", marker="o",
                           label="classifier test accuracy"))
    right.axhline(0.5, color="gray", lw=0.8)
    right.set(xscale="log", ylim=(0.3, 1.02), xlabel="SNR~", ylabel="test accuracy", title="classifier")
    right.legend(fontsize=7)
    fig.suptitle(f"Noisy-digits ({align.source.iloc[0]}) over SNR~", fontsize=10)
    fig.tight_layout()
    return fig, {"sweep": pd.concat(drawn, ignore_index=True)}
