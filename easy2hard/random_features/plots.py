"""Figures of the random-features stage (docs/science.md §13). Each drawing function takes
``(inputs, params)`` and returns the figure and the data it drew (the stage contract):
finite d as points (seed means), the d -> inf limit as lines (derived at m = 1, a 1/d fit
for other m, labelled as such)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.ticker import NullLocator

from ..core.palette import palette
from ..core.tables import read_parquet, read_parquets
from ..core import ou
from . import asymptotics, regimes

QUANTITY_LABELS = {
    "test_error": r"test error $\frac{\Delta}{d}E\|s_A - s\|^2$",
    "train_error": r"train error $\frac{1}{d}\|\sqrt{\Delta}s_A + z\|^2$",
    "gap_ratio": "generalisation gap / that of $s_{emp}$",
    "dist_ratio": r"$\|s_A - s_{emp}\|^2 / \|s - s_{emp}\|^2$ (train mixture)",
}
MARKERS = ("o", "s", "^", "D", "v", "P")


def m_label(m: float) -> str:
    return "m = ∞" if math.isinf(m) else f"m = {int(m)}"


def m_colors(ms) -> dict:
    ms = sorted(set(ms))
    return dict(zip(ms, palette("viridis", len(ms))[::-1]))


def with_ratio(df: pd.DataFrame) -> pd.DataFrame:
    """Add dist_ratio = dist_emp / gap_emp_true: 0 when s_A is the empirical optimal score,
    about 1 when it is as far from it as the true score is."""
    return df.assign(dist_ratio=df["dist_emp"] / df["gap_emp_true"])


def thresholds(ax, ms, colors, base: float, power: int):
    """Dotted vertical lines at p = n (grey, at ``base``) and p = n m (at base m^power)."""
    ax.axvline(base, color="0.4", ls=":", lw=1)
    for m in ms:
        if not math.isinf(m) and m > 1:
            ax.axvline(base * m**power, color=colors[m], ls=":", lw=1)


def log_ticks(ax, values, axis: str = "x"):
    """Plain tick labels at the grid values of a log axis."""
    values = sorted(set(np.round(values, 6)))
    setter = ax.set_xticks if axis == "x" else ax.set_yticks
    setter(values, [f"{v:g}" for v in values])
    (ax.xaxis if axis == "x" else ax.yaxis).set_minor_locator(NullLocator())


def theory_curve(x: np.ndarray, along: str, fixed: float, lam: float, t: float,
                 activation: str) -> pd.DataFrame:
    """m = 1, d -> inf along a sweep: test, train error and gap ratio at λ."""
    rows = []
    for v in x:
        psi_n, psi_p = (fixed, v) if along == "psi_p" else (v, fixed)
        e = asymptotics.errors(asymptotics.Problem(psi_n, psi_p, lam, t, activation))
        rows.append({along: v, "test_error": e["test_error"], "train_error": e["train_error"],
                     "gap_ratio": regimes.gap_ratio_limit(psi_n, psi_p, lam, t, activation)})
    return pd.DataFrame(rows)


def _sweeps(df: pd.DataFrame):
    """(title, along, fixed, rows) of every sweep: each ψ_n of the ψ_p curve, then ψ_n."""
    out = []
    psi = df[df["curve"] == "psi_p"]
    for psi_n in dict.fromkeys(psi["psi_n"]):
        out.append((f"ψ_n = {psi_n:g}", "psi_p", psi_n, psi[psi["psi_n"] == psi_n]))
    sub = df[df["curve"] == "psi_n"]
    if len(sub):
        out.append((f"ψ_p = {sub['psi_p'].iloc[0]:g}", "psi_n", sub["psi_p"].iloc[0], sub))
    return out


def _references(ax, sub, along, optimal, t):
    """Zero score Δ, the optimal-ridge limit (m = 1, rows of the limit table) and the
    empirical optimal score."""
    ax.axhline(ou.delta(t), color="k", ls="-.", lw=0.9, label="zero score (Δ)")
    optimal = optimal.sort_values(along)
    ax.plot(optimal[along], optimal["value"], color="0.45", lw=1.2, marker=".",
            label="optimal λ, m = 1, d = ∞")
    emp = sub[sub["d"] == sub["d"].max()].groupby(along)["test_error_emp"].mean()
    ax.plot(emp.index, emp.values, color="crimson", ls="--", lw=1, marker="x", ms=3,
            label=f"$s_{{emp}}$ (d = {sub['d'].max()})")
    return emp.rename("test_error_emp").reset_index()


def _points_and_fits(ax, mean, q, sweep, ctx, legend: bool) -> list:
    """The exact points per m and d (the largest d opaque) and the 1/d fits for m > 1."""
    title, along, fixed, _ = sweep
    other = "psi_n" if along == "psi_p" else "psi_p"
    ms, dims, colors, fit, fits = ctx["ms"], ctx["dims"], ctx["colors"], ctx["fit"], []
    for m in ms:
        for k, d in enumerate(dims):
            g = mean[(mean["m"] == m) & (mean["d"] == d)]
            ax.plot(g[along], g[q], MARKERS[k % len(MARKERS)], color=colors[m], ms=3.5,
                    alpha=0.5 + 0.5 * (d == dims[-1]), ls="none",
                    label=m_label(m) if d == dims[-1] and legend else None)
        f = fit[(fit["m"] == m) & (fit["quantity"] == q.replace("dist_ratio", "-"))]
        f = f[(f[other] == fixed) & (f["curve"] == along)].sort_values(along)
        if len(f) and not m == 1:
            ax.plot(f[along], f["value"], ls="--", color=colors[m], lw=0.9)
            fits.append(f.assign(sweep=title))
    return fits


def _quantity_panel(ax, q, sweep, theory, ctx, drawn, legend: bool):
    """One panel: quantity ``q`` along one sweep, with its theory, references and axes."""
    title, along, fixed, sub = sweep
    other = "psi_n" if along == "psi_p" else "psi_p"
    colors, t = ctx["colors"], ctx["t"]
    mean = sub.groupby(["m", "d", along], as_index=False)[q].mean().assign(sweep=title)
    drawn["points"].append(mean.assign(quantity=q).rename(columns={q: "value"}))
    drawn["fit"] += _points_and_fits(ax, mean, q, sweep, ctx, legend)
    if q in theory:
        ax.plot(theory[along], theory[q], color=colors[1.0] if 1.0 in colors else "k",
                lw=1.8, label="m = 1, d = ∞ (derived)")
    if q == "test_error":
        opt = ctx["optimal"][(ctx["optimal"]["curve"] == along) & (ctx["optimal"][other] == fixed)]
        drawn["reference"].append(_references(ax, sub, along, opt, t).assign(sweep=title))
    if q == "gap_ratio":
        ax.axhline(regimes.THRESHOLD, color="k", lw=0.8, ls="-.")
        ax.axhline(sub["gap_ratio_true"].mean(), color="0.5", lw=0.8,
                   label="true score (control)")
    thresholds(ax, ctx["ms"], colors, fixed, 1 if along == "psi_p" else -1)
    ax.set_xlim(sub[along].min() / 1.15, sub[along].max() * 1.15)
    ax.set(xscale="log", yscale="log" if q == "test_error" else "linear",
           xlabel=rf"$\psi_{along[-1]}$", title=f"{QUANTITY_LABELS[q]}\n({title})")
    if q != "test_error":
        ax.set_ylim(bottom=min(0, ax.get_ylim()[0]))
    log_ticks(ax, sub[along])


def learning_curves(inputs: dict, params: dict):
    """Rows: each sweep; columns: test error, train error, gap ratio, distance to s_emp."""
    lam, t, act = params["figure_lambda"], params["t"], params["activation"]
    df = with_ratio(read_parquets(inputs["curves"]))
    df = df[df["lambda"] == lam]
    lim = read_parquet(inputs["limit"][0])
    ms, dims = sorted(df["m"].unique()), sorted(df["d"].unique())
    ctx = {"ms": ms, "dims": dims, "colors": m_colors(ms), "t": t,
           "fit": lim[(lim["lambda"] == lam) & (lim["method"] == "fit_inverse_d")],
           "optimal": lim[lim["method"] == "optimal_ridge"]}
    sweeps = _sweeps(df)
    fig, axes = plt.subplots(len(sweeps), 4, figsize=(17, 4.1 * len(sweeps)), squeeze=False)
    drawn = {"points": [], "theory": [], "fit": [], "reference": []}
    for row, sweep in enumerate(sweeps):
        title, along, fixed, sub = sweep
        x = np.geomspace(sub[along].min(), sub[along].max(), 30)
        theory = theory_curve(x, along, fixed, lam, t, act).assign(sweep=title)
        drawn["theory"].append(theory)
        for col, q in enumerate(("test_error", "train_error", "gap_ratio", "dist_ratio")):
            _quantity_panel(axes[row, col], q, sweep, theory, ctx, drawn, legend=col == 0)
        axes[row, 0].legend(fontsize=6.5, loc="best")
    axes[0, 2].legend(fontsize=6.5)
    fig.suptitle(f"Random-features DSM, {act}, t = {t:g}, λ = {lam:g}. Points: exact, d = "
                 f"{', '.join(map(str, dims))} (markers {' '.join(MARKERS[:len(dims)])}); solid: "
                 "m = 1 at d = ∞ (derived); dashed: 1/d fit (m > 1); dotted: p = n, p = n m",
                 fontsize=10)
    fig.tight_layout()
    return fig, {k: pd.concat(v, ignore_index=True) if v else pd.DataFrame()
                 for k, v in drawn.items()}


def convergence_gaps(df: pd.DataFrame) -> pd.DataFrame:
    """Per (ψ_n, ψ_p, λ, d): seed mean and standard error of the m = 1 test and train error
    and their gap to the derived d -> inf value."""
    rows = []
    for (psi_n, psi_p, lam, d), g in df.groupby(["psi_n", "psi_p", "lambda", "d"]):
        lim = asymptotics.errors(asymptotics.Problem(psi_n, psi_p, lam, g["t"].iloc[0],
                                                     g["activation"].iloc[0]))
        for q in ("test_error", "train_error"):
            v = g[q].to_numpy()
            rows.append({"psi_n": psi_n, "psi_p": psi_p, "lambda": lam, "d": d, "quantity": q,
                         "mean": v.mean(), "sem": v.std(ddof=1) / math.sqrt(len(v)),
                         "limit": lim[q], "gap": v.mean() - lim[q], "seeds": len(v)})
    return pd.DataFrame(rows)


def convergence(inputs: dict, params: dict):
    """Left: m = 1 errors against 1/d, the derived limit at 1/d = 0. Right: |gap| against d
    with the 1/d guide through the smallest d."""
    gaps = convergence_gaps(read_parquets(inputs["convergence"]))
    cells = gaps[["psi_n", "psi_p", "lambda"]].drop_duplicates().itertuples(index=False)
    cells = list(cells)
    colors = dict(zip(cells, palette("tab10", len(cells))))
    fig, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    for i, q in enumerate(("test_error", "train_error")):
        for cell in cells:
            g = gaps[(gaps["quantity"] == q) & (gaps["psi_n"] == cell[0])
                     & (gaps["psi_p"] == cell[1]) & (gaps["lambda"] == cell[2])].sort_values("d")
            label = f"ψ_n = {cell[0]:g}, ψ_p = {cell[1]:g}, λ = {cell[2]:g}"
            axes[i, 0].errorbar(1 / g["d"], g["mean"], yerr=g["sem"], fmt="o", ms=3.5,
                                color=colors[cell], label=label)
            axes[i, 0].plot([0, 1 / g["d"].min()], [g["limit"].iloc[0]] * 2, color=colors[cell],
                            lw=1)
            axes[i, 0].plot([0], g["limit"].iloc[:1], "*", ms=9, color=colors[cell])
            axes[i, 1].errorbar(g["d"], g["gap"].abs(), yerr=g["sem"], fmt="o-", ms=3.5,
                                color=colors[cell], lw=0.8)
            d0, g0 = g["d"].iloc[0], abs(g["gap"].iloc[0])
            axes[i, 1].plot(g["d"], g0 * d0 / g["d"], ":", color=colors[cell], lw=1)
        axes[i, 0].set(xlabel="1/d", ylabel=f"{q.replace('_', ' ')} (seed mean ± s.e.)",
                       xlim=(-0.002, None), title="points: exact finite d; star/line: d = ∞")
        axes[i, 1].set(xscale="log", yscale="log", xlabel="d",
                       ylabel=f"|{q.replace('_', ' ')} − limit|",
                       title="dotted: c/d through the smallest d")
        log_ticks(axes[i, 1], gaps["d"])
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("m = 1: exact finite-d ridge DSM against the derived d → ∞ limit", fontsize=10)
    fig.tight_layout()
    return fig, {"gaps": gaps}


def _phase_panel(ax, g, m, psi_n, psi_p):
    grid = g.unstack().reindex(index=psi_p, columns=psi_n).to_numpy()
    im = ax.imshow(grid, origin="lower", cmap="RdBu_r", aspect="auto",
                   norm=TwoSlopeNorm(vcenter=regimes.THRESHOLD, vmin=0, vmax=1.5))
    if np.nanmin(grid) < regimes.THRESHOLD < np.nanmax(grid):
        ax.contour(grid, levels=[regimes.THRESHOLD], colors="k", linewidths=1.4)
    for (i, j), v in np.ndenumerate(grid):
        ax.text(j, i, f"{v:.2g}", ha="center", va="center", fontsize=6,
                color="w" if abs(v - regimes.THRESHOLD) > 0.4 else "k")
    x = np.arange(len(psi_n))

    def on_grid(values):
        return np.interp(np.log(values), np.log(psi_p), np.arange(len(psi_p)),
                         left=np.nan, right=np.nan)

    ax.plot(x, on_grid(np.array(psi_n)), "k--", lw=1, label="ψ_p = ψ_n")
    if not math.isinf(m) and m > 1:
        ax.plot(x, on_grid(np.array(psi_n) * m), "k:", lw=1.3, label="ψ_p = m ψ_n")
    ax.grid(False)
    ax.set_xticks(x, [f"{v:g}" for v in psi_n])
    ax.set_yticks(np.arange(len(psi_p)), [f"{v:g}" for v in psi_p])
    return im, on_grid


def phase(inputs: dict, params: dict):
    """Rows: (activation, t); columns: m. Colour: seed-mean gap ratio (memorising > 1/2,
    solid contour); for m = 1 the d = ∞ crossover (derived) as white diamonds."""
    lam = params["figure_lambda"]
    df = read_parquets(inputs["phase"])
    df = df[df["lambda"] == lam]
    settings = list(dict.fromkeys(zip(df["activation"], df["t"])))
    ms = sorted(df["m"].unique())
    psi_n, psi_p = sorted(df["psi_n"].unique()), sorted(df["psi_p"].unique())
    fig, axes = plt.subplots(len(settings), len(ms), figsize=(3.6 * len(ms), 3.4 * len(settings)),
                             squeeze=False, constrained_layout=True)
    limits = []
    for r, (act, t) in enumerate(settings):
        sub = df[(df["activation"] == act) & (df["t"] == t)]
        for c, m in enumerate(ms):
            ax = axes[r, c]
            g = sub[sub["m"] == m].groupby(["psi_p", "psi_n"])["gap_ratio"].mean()
            im, on_grid = _phase_panel(ax, g, m, psi_n, psi_p)
            if m == 1:
                fine = np.geomspace(min(psi_p), max(psi_p), 80)
                cross = [regimes.crossover_limit(v, lam, t, act, fine) for v in psi_n]
                limits.append(pd.DataFrame({"activation": act, "t": t, "m": 1.0, "psi_n": psi_n,
                                            "psi_p_cross": cross, "d": np.inf}))
                ax.plot(np.arange(len(psi_n)), on_grid(np.array(cross)), "wD", ms=4, mec="k",
                        label="m = 1 crossover, d → ∞")
            ax.set(title=f"{act}, t = {t:g}, {m_label(m)}", xlabel="ψ_n")
            if c == 0:
                ax.set_ylabel("ψ_p")
            ax.legend(fontsize=6, loc="lower right")
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.6,
                 label="generalisation gap / gap of $s_{emp}$ (> ½: memorising)")
    fig.suptitle(f"Memorisation by the generalisation gap (d = {df['d'].iloc[0]}, λ = {lam:g})",
                 fontsize=10)
    finite = regimes.crossover(df, lam)
    return fig, {"crossover": pd.concat([finite] + limits, ignore_index=True)}


def onset(inputs: dict, params: dict):
    """m = 1, d = ∞: the largest gap ratio over the phase grid (left) and the first crossing
    ψ_p*/ψ_n of ½ (right) against λ, one line per ψ_n, for the stage's activation at every
    phase time (the λ dependence of claim random_features.memorisation_onset)."""
    df = read_parquets(inputs["phase"])
    df = df[df["activation"] == params["activation"]]
    lambdas = sorted(df["lambda"].unique())
    psi_p = (df["psi_p"].min(), df["psi_p"].max())
    rows = [regimes.onset_table(sorted(g["psi_n"].unique()), psi_p, lambdas, t,
                                params["activation"], 40).assign(t=t)
            for t, g in df.groupby("t")]
    table = pd.concat(rows, ignore_index=True)
    times = sorted(table["t"].unique())
    fig, axes = plt.subplots(len(times), 2, figsize=(9, 3.2 * len(times)), squeeze=False)
    for r, t in enumerate(times):
        sub = table[table["t"] == t]
        colors = dict(zip(sorted(sub["psi_n"].unique()), palette("viridis", sub["psi_n"].nunique())))
        for psi_n, g in sub.groupby("psi_n"):
            axes[r, 0].plot(g["lambda"], g["max_ratio"], "o-", ms=3, color=colors[psi_n],
                            label=f"ψ_n = {psi_n:g}")
            axes[r, 1].plot(g["lambda"], g["cross"].where(~g["censored"]), "o-", ms=3,
                            color=colors[psi_n])
        axes[r, 0].axhline(regimes.THRESHOLD, color="k", ls="--", lw=1)
        axes[r, 1].axhline(1.0, color="k", ls="--", lw=1)
        xlim = (min(lambdas) / 2, max(lambdas) * 2)   # also when no crossing is drawn
        axes[r, 0].set(xscale="log", yscale="log", xlabel="λ", ylabel="largest gap ratio",
                       xlim=xlim, title=f"t = {t:g}: dashed ½")
        axes[r, 1].set(xscale="log", xlabel="λ", ylabel="ψ_p* / ψ_n", xlim=xlim,
                       ylim=(0, 4), title=f"t = {t:g}: first crossing of ½ (dashed: p = n)")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"m = 1, d → ∞, {params['activation']}: memorisation by the gap ratio against λ",
                 fontsize=10)
    fig.tight_layout()
    return fig, {"onset": table}


QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def sample_quantiles(df: pd.DataFrame) -> pd.DataFrame:
    """Quantiles of the nearest-training distance and the norm (both / sqrt d) per model and
    source (model samples or fresh target samples)."""
    q = df.groupby(["model", "source"])[["nn_distance", "norm"]].quantile(list(QUANTILES))
    q.index = q.index.set_names("quantile", level=-1)
    return q.reset_index()


def samples(inputs: dict, params: dict):
    """Top: nearest-training distance; bottom: norm; model samples against fresh target
    samples, legends with the median and the 5-95 % range."""
    df = read_parquet(inputs["samples"][0])
    quant = sample_quantiles(df)
    models = list(dict.fromkeys(df["model"]))
    fig, axes = plt.subplots(2, len(models), figsize=(4.8 * len(models), 6.8), squeeze=False)
    for j, name in enumerate(models):
        sub = df[df["model"] == name]
        r = sub.iloc[0]
        for i, col in enumerate(("nn_distance", "norm")):
            bins = np.linspace(0, sub[col].quantile(0.995) * 1.05, 40)
            for source, color in (("target", "0.5"), ("model", "crimson")):
                s = sub[sub["source"] == source][col]
                lo, med, hi = s.quantile([0.05, 0.5, 0.95])
                axes[i, j].hist(s.clip(upper=bins[-1]), bins=bins, color=color, alpha=0.55,
                                label=f"{source}: median {med:.3f} (5-95 %: {lo:.3f}-{hi:.3f})")
            axes[i, j].legend(fontsize=7)
        axes[0, j].set(title=f"{name}: ψ_n = {r['psi_n']:g} (n = {r['n']}), ψ_p = "
                       f"{r['psi_p']:g} (p = {r['p']})\n{m_label(r['m'])}, λ = {r['lambda']:g}, "
                       f"d = {r['d']}", xlabel="distance to nearest training point / sqrt(d)",
                       ylabel="count")
        axes[1, j].set(xlabel="|x| / sqrt(d)", ylabel="count")
    fig.tight_layout()
    return fig, {"quantiles": quant}
