"""Shared pieces of the linear-stage figures: seed means with standard errors, and curves
whose infinite values (a collapsed sampling distribution, KL = ∞) show as markers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.palette import palette


def seed_summary(df: pd.DataFrame, keys: list[str], cols: list[str]) -> pd.DataFrame:
    """Mean and standard error (sd / sqrt(seeds)) of ``cols`` over seeds, per ``keys``.
    A group with an infinite value has mean ∞ and standard error 0."""
    g = df.groupby(keys)[cols]
    out = g.mean()
    se = g.std(ddof=1) / np.sqrt(g.count())
    se = se.where(np.isfinite(out), 0.0).fillna(0.0)
    return out.join(se.add_suffix("_se")).reset_index()


def curve(ax, x, y, se=None, *, color=None, label=None, ls="-", marker="o"):
    """A line with error bars; points where y = ∞ are drawn as ▲ at the top of the axes."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    finite = np.isfinite(y)
    ax.errorbar(x[finite], y[finite], yerr=None if se is None else np.asarray(se)[finite],
                color=color, label=label, ls=ls, marker=marker, ms=3, lw=1.2, capsize=2)
    if (~finite).any():
        ax.plot(x[~finite], np.full((~finite).sum(), 0.97), ls="none", marker="^", ms=5,
                color=color, transform=ax.get_xaxis_transform(), clip_on=False)


def ratio_axis(ax, values) -> None:
    """Log x axis of N/d with the computed ratios as plain tick labels, and a line at N = d."""
    ax.set_xscale("log")
    ticks = sorted(set(values))
    ax.set_xticks(ticks, [f"{v:g}" for v in ticks], fontsize=7, rotation=90)
    ax.minorticks_off()
    ax.axvline(1, color="grey", lw=0.8)


def target_columns(df: pd.DataFrame, rows: int = 2):
    """(targets, ds, colour per d, fig, axes): one column per target, ``rows`` rows."""
    import matplotlib.pyplot as plt

    targets, ds = list(dict.fromkeys(df.target)), sorted(df.d.unique())
    colors = dict(zip(ds, palette("viridis", len(ds))))
    fig, axes = plt.subplots(rows, len(targets), figsize=(4.2 * len(targets), 3.5 * rows),
                             squeeze=False)
    return targets, ds, colors, fig, axes


def cells(stats: pd.DataFrame, targets, ds, axes):
    """Yield (column, target, d, top axes, bottom axes, rows of (target, d) sorted by N)."""
    for c, target in enumerate(targets):
        for d in ds:
            s = stats[(stats.target == target) & (stats.d == d)].sort_values("N")
            yield c, target, d, axes[0, c], axes[1, c], s


# ---------------------------------------------------------------- drawing functions
# Each takes (inputs, params) and returns (figure, {name: the data it drew}) (the contract of
# easy2hard.pipeline.plan.stage).

def _read(inputs: dict, group: str = "tables") -> pd.DataFrame:
    from ..core.tables import read_parquets

    return read_parquets(inputs[group])


def _optimum_rows(df: pd.DataFrame, sampler: str) -> pd.DataFrame:
    return df[(df.ridge == 0) & np.isinf(df.tau) & (df.sampler == sampler)]


def kl(inputs: dict, params: dict):
    """KL / d against N/d, one column per target, one colour per d; below, N (KL − KL_∞)/d²
    (→ 1/4 for Gaussian data)."""
    df = _optimum_rows(_read(inputs), params["sampler"])
    floor = df.kl_full_pool.fillna(df.kl_opt)  # KL of the model with all data
    df = df.assign(floor=floor / df.d, scaled=(df.kl - floor) * df.N / df.d**2)
    stats = seed_summary(df, ["target", "d", "N", "N_over_d", "kl_wishart", "floor"],
                         ["kl_per_dim", "scaled"])
    targets, ds, colors, fig, axes = target_columns(df)
    for c, target, d, top, bottom, s in cells(stats, targets, ds, axes):
        curve(top, s.N_over_d, s.kl_per_dim, s.kl_per_dim_se, color=colors[d], label=f"d = {d}")
        top.plot(s.N_over_d, s.kl_wishart / d, color=colors[d], ls=":", lw=1)
        if target == "natural_patches":
            top.axhline(s["floor"].iloc[0], color=colors[d], ls="-.", lw=0.8)
        curve(bottom, s.N_over_d, s.scaled, s.scaled_se, color=colors[d])
    for c, target in enumerate(targets):
        top, bottom = axes[0, c], axes[1, c]
        x = np.geomspace(1.1, stats.N_over_d.max(), 50)
        top.plot(x, 0.25 / x, color="k", ls="--", lw=1, label="d / (4N)")
        bottom.axhline(0.25, color="k", ls="--", lw=1)
        top.set(yscale="log", title=target, ylabel="KL / d")
        bottom.set(ylim=(0, 1.5), xlabel="N / d", ylabel="N (KL − KL_∞) / d²  (Gaussian: → 1/4)")
        for ax in (top, bottom):
            ratio_axis(ax, stats.N_over_d)
    axes[0, 0].legend(fontsize=8, title="dotted: Gaussian theory", title_fontsize=7)
    fig.suptitle(f"Linear diffusion, λ = 0, trained to optimum, {params['sampler']} sampler: "
                 "KL(sampling ‖ Gaussian with the target's moments); ▲ = ∞; dash-dot: KL_∞ of "
                 "patches (whole training split)", fontsize=9)
    fig.tight_layout()
    return fig, {"kl": stats}


def test_error(inputs: dict, params: dict):
    """Excess test error over the Wiener error, and test and train error / Wiener error."""
    df = _read(inputs)
    df = _optimum_rows(df, df.sampler.iloc[0])
    df = df.assign(excess=df.test_error - df.test_error_opt,
                   test_rel=df.test_error / df.test_error_opt,
                   train_rel=df.train_error / df.test_error_opt)
    stats = seed_summary(df, ["target", "d", "N", "N_over_d"], ["excess", "test_rel", "train_rel"])
    targets, ds, colors, fig, axes = target_columns(df)
    for c, target, d, top, bottom, s in cells(stats, targets, ds, axes):
        curve(top, s.N_over_d, s.excess, s.excess_se, color=colors[d], label=f"d = {d}")
        curve(bottom, s.N_over_d, s.test_rel, s.test_rel_se, color=colors[d], label=f"test, d = {d}")
        curve(bottom, s.N_over_d, s.train_rel, s.train_rel_se, color=colors[d], ls="--",
              marker="s", label=f"train, d = {d}")
    for c, target in enumerate(targets):
        top, bottom = axes[0, c], axes[1, c]
        top.set(yscale="log", title=target, ylabel="test error − Wiener error (per dim)")
        bottom.set(yscale="log", xlabel="N / d", ylabel="error / Wiener error")
        bottom.axhline(1, color="k", lw=0.8)
        for ax in (top, bottom):
            ratio_axis(ax, stats.N_over_d)
    axes[0, 0].legend(fontsize=8)
    axes[1, 0].legend(fontsize=7, ncol=2)
    fig.suptitle("Linear denoisers at the optimum (λ = 0): DDPM loss averaged over steps k, per "
                 "dimension; solid = test, dashed = train", fontsize=10)
    fig.tight_layout()
    return fig, {"test_error": stats}


def regularisation(inputs: dict, params: dict):
    """KL and excess test error against N/d for each ridge λ (τ = ∞) and each flow time τ
    (λ = 0), for one (target, d)."""
    import matplotlib.pyplot as plt

    df = _read(inputs)
    df = df[df.sampler == params["sampler"]]
    df = df.assign(excess=df.test_error - df.test_error_opt)
    stats = seed_summary(df, ["ridge", "tau", "N", "N_over_d"], ["kl_per_dim", "excess"])
    panels = [("ridge", np.isinf(stats.tau), "λ", "ridge λ (τ = ∞)"),
              ("tau", stats.ridge == 0, "τ", "training time τ (λ = 0)")]
    fig, axes = plt.subplots(2, 2, figsize=(9, 7.5))
    drawn = []
    for c, (axis, keep, sym, title) in enumerate(panels):
        sub = stats[keep]
        values = sorted(sub[axis].unique())
        colors = dict(zip(values, palette("magma_r", len(values))))
        for v in values:
            s = sub[sub[axis] == v].sort_values("N")
            label = f"{sym} = {'∞' if np.isinf(v) else f'{v:g}'}"
            curve(axes[0, c], s.N_over_d, s.kl_per_dim, s.kl_per_dim_se, color=colors[v], label=label)
            curve(axes[1, c], s.N_over_d, s.excess, s.excess_se, color=colors[v])
            drawn.append(s.assign(path=axis))
        axes[0, c].set(title=title, yscale="log", ylabel="KL / d")
        axes[1, c].set(yscale="log", xlabel="N / d", ylabel="test error − Wiener error (per dim)")
        axes[0, c].legend(fontsize=8)
        for ax in axes[:, c]:
            ratio_axis(ax, stats.N_over_d)
    fig.suptitle(f"{df.target.iloc[0]}, d = {df.d.iloc[0]}, {params['sampler']} sampler: "
                 "ridge and early stopping (▲ = KL ∞)", fontsize=10)
    fig.tight_layout()
    return fig, {"paths": pd.concat(drawn, ignore_index=True)}


def samples(inputs: dict, params: dict):
    """Samples of linear models trained on N < d, N ≈ d, N >> d patches, beside held-out
    patches and the smallest training set."""
    import math

    import matplotlib.pyplot as plt

    df = _read(inputs)
    rows = df.drop_duplicates("row").sort_values("row")
    n, side = df.image.max() + 1, int(math.isqrt(df.groupby(["row", "image"]).size().iloc[0]))
    vmin, vmax = np.percentile(df[df.row == 0].value, [1, 99])
    fig, axes = plt.subplots(len(rows), n, figsize=(1.1 * n, 1.25 * len(rows)), squeeze=False)
    for r, (row, label) in enumerate(zip(rows.row, rows.label)):
        sub = df[df.row == row]
        for i in range(n):
            ax = axes[r, i]
            ax.set_xticks([]), ax.set_yticks([]), ax.grid(False)
            img = sub[sub.image == i].sort_values(["y", "x"]).value.to_numpy()
            if img.size:
                ax.imshow(img.reshape(side, side), cmap="gray", vmin=vmin, vmax=vmax,
                          interpolation="nearest")
            else:
                ax.axis("off")
        axes[r, 0].set_title(label, fontsize=8, loc="left")
    fig.suptitle(f"Linear diffusion on {side}x{side} natural patches (DDPM ancestral samples)", fontsize=10)
    fig.tight_layout()
    summary = df.groupby(["row", "label"]).value.agg(["mean", "std"]).reset_index()
    return fig, {"rows": summary}


def trained(inputs: dict, params: dict):
    """KL and test error of trained linear denoisers (markers) against the closed forms (lines)."""
    import matplotlib.pyplot as plt

    df = _read(inputs)
    df = df[df.step > 0]
    cols = ["kl", "kl_closed", "test_error", "test_error_closed"]
    stats = seed_summary(df, ["target", "d", "optimizer", "N", "step"], cols)
    panels = list(stats[["target", "d", "optimizer"]].drop_duplicates().itertuples(index=False))
    Ns = sorted(stats.N.unique())
    colors = dict(zip(Ns, palette("viridis", len(Ns))))
    fig, axes = plt.subplots(2, len(panels), figsize=(3.8 * len(panels), 6.5), squeeze=False)
    for c, (target, d, opt) in enumerate(panels):
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
    return fig, {"trained": stats}


def best_of_paths(df: pd.DataFrame) -> pd.DataFrame:
    """Per (target, d, N): the seed-mean KL / d and excess test error with no regulariser
    (λ = 0, τ = ∞), at the best ridge λ and at the best flow time τ (each measure minimised
    over the path's grid separately; the chosen values in best_kl, best_excess)."""
    keys = ["target", "exponent", "d", "N", "N_over_d"]
    df = df.assign(kl_per_dim=df.kl / df.d, exponent=df.exponent.fillna(-1.0))
    stats = seed_summary(df, [*keys, "path", "value"], ["kl_per_dim", "excess"])
    rows = []
    for key, g in stats.groupby(keys):
        plain = g[(g.path == "ridge") & (g.value == 0)].iloc[0]
        for regime, sub in (("none", g[(g.path == "ridge") & (g.value == 0)]),
                            ("best ridge", g[g.path == "ridge"]), ("best time", g[g.path == "time"])):
            k, e = sub.kl_per_dim.idxmin(), sub.excess.idxmin()
            if not np.isfinite(sub.kl_per_dim.min()):
                k = plain.name
            rows.append({**dict(zip(keys, key)), "regime": regime,
                         "kl_per_dim": sub.kl_per_dim[k], "kl_per_dim_se": sub.kl_per_dim_se[k],
                         "best_kl": sub.value[k], "excess": sub.excess[e],
                         "excess_se": sub.excess_se[e], "best_excess": sub.value[e]})
    return pd.DataFrame(rows)


def hierarchy(inputs: dict, params: dict):
    """KL / d and excess test error against N/d per spectral exponent α (trace d) and for
    trace-normalised patches: unregularised, at the best ridge and at the best stopping time."""
    import matplotlib.pyplot as plt

    best = best_of_paths(_read(inputs))
    names = list(dict.fromkeys(best.sort_values("exponent").target))
    colors = dict(zip(names, palette("viridis", len(names))))
    colors["natural_patches"] = "k"
    regimes = ["none", "best ridge", "best time"]
    fig, axes = plt.subplots(2, 3, figsize=(12.5, 7.5), sharey="row")
    styles = dict(zip(sorted(best.d.unique()), ["-", "--", ":"]))
    for c, regime in enumerate(regimes):
        for (name, d), s in best[best.regime == regime].groupby(["target", "d"], sort=False):
            s = s.sort_values("N")
            label = f"{name}" + (f", d = {d}" if len(styles) > 1 else "")
            curve(axes[0, c], s.N_over_d, s.kl_per_dim, s.kl_per_dim_se, color=colors[name],
                  ls=styles[d], label=label)
            curve(axes[1, c], s.N_over_d, s.excess, s.excess_se, color=colors[name], ls=styles[d])
        axes[0, c].set(title={"none": "λ = 0, τ = ∞", "best ridge": "best ridge λ (τ = ∞)",
                              "best time": "best stopping time τ (λ = 0)"}[regime], yscale="log")
        axes[1, c].set(yscale="log", xlabel="N / d")
        for ax in axes[:, c]:
            ratio_axis(ax, best.N_over_d)
    axes[0, 0].set_ylabel("KL / d (seed mean, min over the path)")
    axes[1, 0].set_ylabel("test error − Wiener error (per dim)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Hierarchy at fixed trace d: eigenvalues ∝ ν^-α (Gaussian) and natural patches; "
                 "▲ = KL ∞", fontsize=10)
    fig.tight_layout()
    return fig, {"best": best}


def non_gaussian(inputs: dict, params: dict):
    """KL to non-Gaussian targets with the power-law covariance (Monte Carlo, exact densities)
    against N/d, beside the Gaussian with the same covariance; below, the excess over the
    population-optimal linear model, N (KL − KL_∞) / d²."""
    import matplotlib.pyplot as plt

    df = _read(inputs)
    df = df[df.kl_mc.notna()]
    if "kl_moment_matched" not in df:
        df = df.assign(kl_moment_matched=np.nan)
    df = df.assign(kl_mc_per_dim=df.kl_mc / df.d, floor=df.kl_mc_opt / df.d,
                   scaled=(df.kl_mc - df.kl_mc_opt) * df.N / df.d**2,
                   scaled_gauss=(df.kl - df.kl_opt) * df.N / df.d**2,
                   theory=df.kl_moment_matched * df.N / df.d**2,
                   reference=df.get("kl_ideal", np.nan) * df.N / df.d**2)
    stats = seed_summary(df, ["target", "d", "N", "N_over_d", "floor", "theory"],
                         ["kl_mc_per_dim", "kl_mc_se", "scaled", "scaled_gauss", "reference"])
    names = list(dict.fromkeys(df.target))
    colors = dict(zip(names, palette("tab10", len(names))))
    styles = dict(zip(sorted(stats.d.unique()), ["-", "--", ":", "-."]))
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.3))
    for (name, d), s in stats.groupby(["target", "d"], sort=False):
        s = s.sort_values("N")
        curve(axes[0], s.N_over_d, s.kl_mc_per_dim, s.kl_mc_per_dim_se, color=colors[name],
              ls=styles[d], label=f"{name}, d = {d}")
        if s["floor"].iloc[0] > 1e-3 * s.kl_mc_per_dim[np.isfinite(s.kl_mc_per_dim)].max():
            axes[0].axhline(s["floor"].iloc[0], color=colors[name], ls=styles[d], lw=0.6)
        curve(axes[1], s.N_over_d, s.scaled, s.scaled_se, color=colors[name], ls=styles[d])
        curve(axes[2], s.N_over_d, s.scaled_gauss, s.scaled_gauss_se, color=colors[name], ls=styles[d])
        if s.theory.notna().any():
            axes[2].axhline(s.theory.iloc[0], color=colors[name], ls=":", lw=1)
        if s.reference.notna().any():
            axes[2].plot(s.N_over_d, s.reference, "x", color=colors[name], ms=5)
    axes[0].set(yscale="log", ylabel="KL(sampling ‖ target) / d", xlabel="N / d",
                title="KL to the target (thin: KL_∞ of the best linear model)")
    axes[1].set(ylabel="N (KL − KL_∞) / d²", xlabel="N / d", title="excess over KL_∞ (→ 1/4 Gaussian)")
    axes[2].set(ylabel="N (KL_G − KL_G,∞) / d²", xlabel="N / d",
                title="same-moment Gaussian; dotted: (E‖z‖⁴ + d)/4d²; ×: ideal sampler")
    for ax in axes:
        ratio_axis(ax, stats.N_over_d)
    for ax in axes[1:]:
        ax.axhline(0.25, color="k", ls="--", lw=1)
        ax.set_ylim(0, None)
    axes[0].legend(fontsize=7)
    fig.suptitle("Same covariance, different laws (λ = 0, τ = ∞, seed mean ± SE over training "
                 "sets; Monte-Carlo KL with exact target densities; ▲ = ∞)", fontsize=10)
    fig.tight_layout()
    return fig, {"non_gaussian": stats}


def nonlinear(inputs: dict, params: dict):
    """MLP and linear denoisers on the same patches: test and train error over the Wiener
    error, k-NN KL of the samples from held-out patches, and the memorised fraction."""
    import matplotlib.pyplot as plt

    df = _read(inputs)
    df = df.assign(test_rel=df.test_error / df.test_error_opt,
                   train_rel=df.train_error / df.test_error_opt, knn_per_dim=df.knn_kl / df.d)
    stats = seed_summary(df, ["model", "d", "N", "N_over_d"],
                         ["test_rel", "train_rel", "knn_per_dim", "memorised", "ratio"])
    colors = {"mlp": "C3", "linear": "C0", "gaussian": "C2", "heldout": "grey"}
    styles = dict(zip(sorted(stats.d.unique()), ["-", "--", ":"]))
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.2))
    for (model, d), s in stats.groupby(["model", "d"], sort=False):
        s = s.sort_values("N")
        label = f"{model}, d = {d}"
        if model in ("mlp", "linear"):
            curve(axes[0], s.N_over_d, s.test_rel, s.test_rel_se, color=colors[model], ls=styles[d], label=f"test, {label}")
            curve(axes[0], s.N_over_d, s.train_rel, s.train_rel_se, color=colors[model], ls=":",
                  marker="s", label=f"train, {label}")
        curve(axes[1], s.N_over_d, s.knn_per_dim, s.knn_per_dim_se, color=colors[model], ls=styles[d], label=label)
        curve(axes[2], s.N_over_d, s.memorised, s.memorised_se, color=colors[model], ls=styles[d])
        curve(axes[3], s.N_over_d, s.ratio, s.ratio_se, color=colors[model], ls=styles[d])
    axes[0].set(yscale="log", ylabel="error / Wiener error", title="denoising error (k uniform)")
    axes[0].axhline(1, color="k", lw=0.8)
    axes[1].set(ylabel="k-NN KL(samples ‖ held-out) / d",
                title="sample divergence (whitened)")
    axes[2].set(ylabel="fraction with ratio < 1/3", title="memorised samples")
    axes[3].set(ylabel="median nearest / 2nd-nearest", title="neighbour ratio", ylim=(0, 1.05))
    for ax in axes:
        ratio_axis(ax, stats.N_over_d)
        ax.set_xlabel("N / d")
    axes[0].legend(fontsize=6)
    axes[1].legend(fontsize=7)
    fig.suptitle("Nonlinear (MLP) against linear denoisers on natural patches: same training "
                 "sets, schedule and DDPM sampler; seed mean ± SE", fontsize=10)
    fig.tight_layout()
    return fig, {"nonlinear": stats}
