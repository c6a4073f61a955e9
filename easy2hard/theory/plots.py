"""Figures of the theory stage. Each drawing function takes ``(inputs, params)`` and returns
the figure and the data it drew (the contract of ``easy2hard.pipeline.plan.stage``)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from ..core.palette import palette
from ..core.tables import read_parquet


def radial_term(inputs: dict, params: dict):
    """L_0(r) - L_0(0) against r per activation and t (paper Fig. 2): symlog and log-log."""
    df = read_parquet(inputs["radial"][0])
    ts = sorted(df["t"].unique())
    acts = list(dict.fromkeys(df["activation"]))
    colors = dict(zip(acts, palette("tab10", len(acts))))
    fig, axes = plt.subplots(2, len(ts), figsize=(4.2 * len(ts), 7.5), squeeze=False,
                             sharey="row")
    drawn = []
    for j, t in enumerate(ts):
        for act in acts:
            d = df[(df["t"] == t) & (df["activation"] == act)].sort_values("r")
            tag = "attracts" if d["zero_attracts"].iloc[0] else "repels"
            label = f"{act} (w=0 {tag}; ~r^{d['loglog_slope'].iloc[0]:.1f})"
            ls = "--" if act == "scaled_tanh" else "-"
            axes[0, j].plot(d["r"], d["L0_shift"], ls, color=colors[act], label=label)
            axes[1, j].plot(d["r"], d["L0_shift"].clip(lower=1e-300), ls, color=colors[act])
            drawn.append(d[["t", "activation", "r", "L0_shift"]])
        axes[0, j].set_title(f"t = {t:g}")
        axes[0, j].set(xlabel="norm r", xlim=(0, df["r"].max()))
        axes[0, j].set_yscale("symlog", linthresh=1e-3)
        axes[1, j].set(xscale="log", yscale="log", xlabel="norm r")
        axes[0, j].axhline(0, color="k", lw=0.6)
        axes[0, j].legend(fontsize=6.5, loc="upper left")
    axes[0, 0].set_ylabel(r"$L_0(r) - L_0(0)$ (symlog)")
    axes[1, 0].set_ylabel(r"$L_0(r) - L_0(0)$ (log-log)")
    fig.suptitle("Radial term at zero overlap: $L_0$ increasing near $r=0$ means $w=0$ "
                 "attracts plain SGD", fontsize=10)
    fig.tight_layout()
    return fig, {"radial": pd.concat(drawn, ignore_index=True)}


def _axes(df, cmap: str = "tab10"):
    """Sorted t, the activations and latents in table order, a colour per activation."""
    ts = sorted(df["t"].unique())
    acts = list(dict.fromkeys(df["activation"]))
    latents = list(dict.fromkeys(df["latent"]))
    return ts, acts, latents, dict(zip(acts, palette(cmap, len(acts))))


def hermite_coefficients(inputs: dict, params: dict):
    """c_k of Ψ_t per activation (row 0), c_k ℓ_k per latent with k* starred, and ℓ_k."""
    df = read_parquet(inputs["hermite"][0])
    exps = read_parquet(inputs["exponents"][0])
    ts, acts, latents, colors = _axes(df)
    nrow, ncol = 1 + len(latents), len(ts) + 1
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.3 * ncol, 2.3 * nrow), squeeze=False,
                             sharex=True)
    drawn, stars = [], []
    for j, t in enumerate(ts):
        d0 = df[(df["t"] == t) & (df["latent"] == latents[0])]
        for act in acts:
            d = d0[d0["activation"] == act]
            axes[0, j].plot(d["k"], d["c_k"], "o-", ms=3, color=colors[act], label=act)
        axes[0, j].set_title(f"$c_k$ of $\\Psi_t$, t = {t:g}", fontsize=9)
    axes[0, -1].axis("off")
    axes[0, -1].legend(*axes[0, 0].get_legend_handles_labels(), loc="center", fontsize=8,
                       title="activation")
    for i, lat in enumerate(latents, start=1):
        dl = df[df["latent"] == lat]
        for j, t in enumerate(ts):
            for act in acts:
                d = dl[(dl["t"] == t) & (dl["activation"] == act)]
                axes[i, j].plot(d["k"], d["product"].clip(-1e6, 1e6), "o-", ms=3, color=colors[act])
                drawn.append(d[["latent", "t", "activation", "k", "c_k", "l_k", "product"]])
                e = exps[(exps["t"] == t) & (exps["latent"] == lat) & (exps["activation"] == act)]
                if len(e) and e["k_star"].notna().iloc[0]:
                    axes[i, j].plot([int(e["k_star"].iloc[0])], [e["product"].iloc[0]], "*",
                                    ms=11, color=colors[act], mew=0.9,
                                    mec="k" if e["learns"].iloc[0] else "r")
                    stars.append(e[["latent", "t", "activation", "k_star", "product", "learns"]])
            axes[i, j].set_title(f"$c_k \\ell_k$: {lat}, t = {t:g}", fontsize=9)
        d = dl[(dl["t"] == ts[0]) & (dl["activation"] == acts[0])]
        axes[i, -1].bar(d["k"], d["l_k"].clip(-1e6, 1e6), color="0.4")
        axes[i, -1].set_title(f"$\\ell_k$: {lat}", fontsize=9)
    for ax in axes.flat:
        if ax.axison:
            ax.set_yscale("symlog", linthresh=1e-3)
            ax.axhline(0, color="k", lw=0.5)
    for ax in axes[-1]:
        ax.set_xlabel("k")
    fig.suptitle(r"Hermite coefficients. $\star$ = $k^*$ at $c_{k^*}\ell_{k^*}$ (black edge: < 0, "
                 r"pSGD learns; red edge: > 0, it does not). Correlated latents: $\star$ = "
                 r"order-2 coupling $c_2\tau$ to the covariance spike. Symlog y (linear in "
                 r"$\pm10^{-3}$)", fontsize=9)
    fig.tight_layout()
    return fig, {"products": pd.concat(drawn, ignore_index=True),
                 "k_star": pd.concat(stars, ignore_index=True) if stars else pd.DataFrame()}


def loss_landscape(inputs: dict, params: dict):
    """L(m) − L(0) on the sphere against the overlap m, normalised per curve."""
    df = read_parquet(inputs["landscape"][0])
    exps = read_parquet(inputs["exponents"][0])
    ts, acts, latents, colors = _axes(df)
    fig, axes = plt.subplots(len(latents), len(ts), figsize=(4.0 * len(ts), 2.9 * len(latents)),
                             squeeze=False, sharex=True)
    drawn = []
    for i, lat in enumerate(latents):
        for j, t in enumerate(ts):
            ax, stars = axes[i, j], {}
            for act in acts:
                d = df[(df["latent"] == lat) & (df["t"] == t) & (df["activation"] == act)]
                scale = d["L_shift"].abs().max()
                flat = scale <= 1e-9 * max(d["L"].abs().max(), 1e-300)  # constant to rounding
                e = exps[(exps["latent"] == lat) & (exps["t"] == t) & (exps["activation"] == act)]
                ks = e["k_star"].iloc[0] if len(e) else None
                stars[act] = "none" if ks is None or pd.isna(ks) else str(int(ks))
                y = 0 * d["L_shift"] if flat else d["L_shift"] / scale
                ax.plot(d["m"], y, "-" if d["method"].iloc[0] == "exact" else "--",
                        color=colors[act], label=act)
                drawn.append(pd.DataFrame({"latent": lat, "t": t, "activation": act,
                                           "m": d["m"].to_numpy(), "normalised": y.to_numpy()}))
            common = max(set(stars.values()), key=list(stars.values()).count)
            odd = ", ".join(f"{a}: {k}" for a, k in stars.items() if k != common)
            ax.text(0.03, 0.04, f"k* = {common}" + (f" ({odd})" if odd else ""),
                    transform=ax.transAxes, fontsize=7)
            ax.axhline(0, color="k", lw=0.5)
            ax.set_title(f"{lat}, t = {t:g}", fontsize=9)
            if j == 0:
                ax.set_ylabel(r"$(L(m)-L(0)) / \max|\cdot|$")
    for ax in axes[-1]:
        ax.set_xlabel("overlap m")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="upper center", ncol=len(acts),
               fontsize=8, bbox_to_anchor=(0.5, 0.985))
    fig.suptitle("Population loss on the sphere (pSGD): decreasing in m means the spike attracts "
                 "(curves normalised; an exactly flat loss is drawn at 0)", fontsize=10, y=1.0)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    return fig, {"landscape": pd.concat(drawn, ignore_index=True)}
