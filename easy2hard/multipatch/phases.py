"""Phases of the trajectories and the scaling fits (docs/science.md §11.7); pandas only.

Phases, per run, from its training loss L(k) (gradient descent decreases it monotonically):
the fraction of the run's total drop reached, D(k) = (L(0) − L(k)) / (L(0) − L(last)), labels
a logged step ``growth`` while D < f (the loss has not materially changed: the paper's first
stage of linear growth), ``stationary`` once D ≥ 1 − f (the end state), ``transition`` between.
The run leaves growth at the first logged step with D ≥ f; it has converged if D ≥ 1 − f at
its second-to-last logged step already; a run whose total drop is below f times the largest
of its objective has not left growth.

Fits: log y = s log x + b by least squares over runs; the confidence interval is the 2.5-97.5 %
range of s over bootstrap resamples of the seeds (all runs of a drawn seed together: runs of
one seed share data, labels and initial filters).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RUN_KEYS = ["objective", "seed", "n_snr2", "m", "width_exponent", "sparsity"]
ZERO_PREDICTOR_LOSS = 1.0  # E‖ε‖² / (P d): the DDPM loss per coordinate of f = 0
CLASSIFIED_LOSS = 0.1  # the training loss of Theorem 3.2's statement


def label(table: pd.DataFrame, fraction: float) -> pd.DataFrame:
    """The table with ``loss_drop`` (D above) and ``phase`` per row. A run whose total drop is
    below f times the largest total drop of its objective has not started learning: it stays
    in growth (D = 0), so a run too slow for its steps is not read as converged."""
    table = table.sort_values(RUN_KEYS + ["step"]).reset_index(drop=True)
    loss = table.groupby(RUN_KEYS).loss
    first, last = loss.transform("first"), loss.transform("last")
    total = first - last
    learnt = total >= fraction * total.groupby(table.objective).transform("max")
    drop = ((first - table.loss) / total).where(learnt & (total > 0), 0.0)
    phase = np.where(drop < fraction, "growth", np.where(drop >= 1 - fraction, "stationary", "transition"))
    return table.assign(loss_drop=drop, phase=phase)


def _first_flow(g: pd.DataFrame, mask) -> float:
    hit = g[mask]
    return float(hit.flow_time.iloc[0]) if len(hit) else float("nan")


def _one_run(g: pd.DataFrame, fraction: float) -> dict:
    """A run that never leaves growth has no growth-end values; one whose loss still moved by
    more than f of its drop over its last logged interval has not converged: no final values."""
    growth, last = g[g.phase == "growth"].iloc[-1], g.iloc[-1]
    left = bool((g.phase != "growth").any())
    converged = left and len(g) > 1 and bool(g.loss_drop.iloc[-2] >= 1 - fraction)
    out = {"growth_end_step": int(growth.step), "left_growth": left, "converged": converged,
           "leaves_growth": _first_flow(g, g.phase != "growth"),
           "reaches_stationary": _first_flow(g, g.phase == "stationary") if converged else float("nan")}
    nan = float("nan")
    for col in ("align_mu1", "align_xi", "ratio", "loss"):
        out[f"{col}_growth"] = float(growth[col]) if left else nan
        out[f"{col}_final"] = float(last[col]) if converged else nan
    if "test_loss" in g:
        best = g.test_loss.idxmin()
        out["test_loss_final"] = float(last.test_loss)
        out["memorises"] = _first_flow(g, (g.index > best) & (g.test_loss > ZERO_PREDICTOR_LOSS))
    else:
        out["classifies"] = _first_flow(g, g.loss <= CLASSIFIED_LOSS)
    return out


def run_summary(table: pd.DataFrame, fraction: float) -> pd.DataFrame:
    """One row per run: the growth end (step and values there), the flow times at which it
    leaves growth and reaches the stationary phase, the final values (``_one_run``: NaN where
    the run did not get there within its steps); diffusion: the flow time
    at which the test loss, past its minimum, exceeds the zero predictor's (memorises);
    classification: the flow time at which the training loss reaches 0.1."""
    rows = [{**dict(zip(RUN_KEYS, key)), **_one_run(g, fraction)}
            for key, g in table.sort_values("step").groupby(RUN_KEYS, sort=True)]
    return pd.DataFrame(rows)


def loglog_fit(df: pd.DataFrame, x: str, y: str, samples: int, seed: int) -> dict:
    """Slope of log y on log x with its seed-bootstrap 95 % interval (finite positive y only)."""
    df = df[np.isfinite(df[y]) & (df[y] > 0)]
    if df[x].nunique() < 2:
        return {"estimate": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "n_runs": len(df)}
    slope = lambda d: np.polyfit(np.log(d[x]), np.log(d[y]), 1)[0]  # noqa: E731
    seeds, rng, boot = np.sort(df.seed.unique()), np.random.default_rng(seed), []
    by_seed = {s: df[df.seed == s] for s in seeds}
    for _ in range(samples):
        d = pd.concat([by_seed[s] for s in rng.choice(seeds, len(seeds))])
        if d[x].nunique() >= 2:
            boot.append(slope(d))
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return {"estimate": float(slope(df)), "ci_low": float(lo), "ci_high": float(hi), "n_runs": len(df)}


def crossing(df: pd.DataFrame, x: str, y: str, level: float = 1.0) -> float:
    """Where the seed-mean of log y crosses log ``level`` against log x (first crossing,
    linear interpolation); NaN if it does not cross."""
    g = np.log(df[df[y] > 0].groupby(x)[y].apply(lambda v: np.exp(np.log(v).mean())))
    lx, ly = np.log(g.index.to_numpy(float)), g.to_numpy() - np.log(level)
    for i in range(len(ly) - 1):
        if ly[i] < 0 <= ly[i + 1] or ly[i] > 0 >= ly[i + 1]:
            return float(np.exp(lx[i] - ly[i] * (lx[i + 1] - lx[i]) / (ly[i + 1] - ly[i])))
    return float("nan")


def crossing_ci(df: pd.DataFrame, x: str, y: str, samples: int, seed: int) -> dict:
    seeds, rng = np.sort(df.seed.unique()), np.random.default_rng(seed)
    by_seed = {s: df[df.seed == s] for s in seeds}
    boot = [crossing(pd.concat([by_seed[s] for s in rng.choice(seeds, len(seeds))]), x, y)
            for _ in range(samples)]
    boot = np.array(boot)[np.isfinite(boot)]
    lo, hi = np.percentile(boot, [2.5, 97.5]) if len(boot) else (float("nan"),) * 2
    return {"estimate": crossing(df, x, y), "ci_low": float(lo), "ci_high": float(hi), "n_runs": len(df)}


def width_theory(objective: str, exponent: float) -> dict:
    """Theory exponents in m of the stationary ⟨w, μ⟩, ⟨w, ξ⟩ and the time to reach it.

    Diffusion (Theorem D.1, n·SNR² = Ω(1)): with prefactor m^{-1/2}, −1/6, −1/6 and 1/3. A
    prefactor m^{-a} is the m^{-1/2} network with weights scaled by λ = m^{(1/2 − a)/3} (f is
    cubic in W), σ₀ → λσ₀ and η → λ²η, so the exponents become (a − 1)/3, (a − 1)/3 and
    (4a − 1)/3. Classification (Theorem 3.2, T_μ = Θ̃(η⁻¹ m ‖μ‖⁻²) for F = m^{-1} Σ): the
    exponential growth rate is η m^{-b}, so the time exponent is b (no stationary alignments).
    """
    if objective == "diffusion":
        return {"align_mu1": (exponent - 1) / 3, "align_xi": (exponent - 1) / 3, "time": (4 * exponent - 1) / 3}
    return {"time": exponent}


def fits(summary: pd.DataFrame, grid: dict, samples: int, seed: int) -> pd.DataFrame:
    """The thresholds/slopes table: the ratio's slope in n·SNR² per phase, the classifier's
    switch point, and the width exponents per width prefactor, with bootstrap CIs.

    ``grid``: ``m`` (width of the n·SNR² grid), ``width_n_snr2`` (n·SNR² of the width grid),
    ``exponents`` ({objective: [width exponents], the first is the n·SNR² grid's})."""
    rows = []
    dense = summary[summary.sparsity == 1.0]
    for obj, exps in grid["exponents"].items():
        snr = dense[(dense.objective == obj) & (dense.m == grid["m"]) & (dense.width_exponent == exps[0])]
        for phase in ("growth", "final"):
            fit = loglog_fit(snr, "n_snr2", f"ratio_{phase}", samples, seed)
            rows.append({"objective": obj, "quantity": "ratio vs n_snr2", "phase": phase,
                         "width_exponent": exps[0], "theory": 1.0 if obj == "diffusion" else float("nan"), **fit})
        rows.append({"objective": obj, "quantity": "n_snr2 where final ratio = 1", "phase": "final",
                     "width_exponent": exps[0], "theory": float("nan"),
                     **crossing_ci(snr, "n_snr2", "ratio_final", samples, seed)})
        width = dense[(dense.objective == obj) & (dense.n_snr2 == grid["width_n_snr2"])]
        times = {"diffusion": [("leaves_growth", "growth"), ("reaches_stationary", "final")],
                 "classification": [("classifies", "final")]}[obj]
        for a in exps:
            w, theory = width[width.width_exponent == a], width_theory(obj, a)
            for col, phase in times:
                rows.append({"objective": obj, "quantity": f"{col} vs m", "phase": phase, "width_exponent": a,
                             "theory": theory["time"], **loglog_fit(w, "m", col, samples, seed)})
            for col in ("align_mu1", "align_xi") if obj == "diffusion" else ():
                for phase in ("growth", "final"):
                    rows.append({"objective": obj, "quantity": f"{col} vs m", "phase": phase, "width_exponent": a,
                                 "theory": theory[col], **loglog_fit(w, "m", f"{col}_{phase}", samples, seed)})
    return pd.DataFrame(rows)


def summarise(alignment: pd.DataFrame, losses: pd.DataFrame, analysis: dict, grid: dict) -> dict:
    """Every analysis table from the two objectives' alignment tables (concatenated) and the
    diffusion loss table: ``steps`` (per step, with the test loss and the phase labels),
    ``runs`` (``run_summary``) and ``fits`` (``fits``)."""
    test = losses[losses.set == "test"].assign(objective="diffusion")
    test = test[RUN_KEYS + ["step", "loss"]].rename(columns={"loss": "test_loss"})
    steps = label(alignment.merge(test, on=RUN_KEYS + ["step"], how="left"), analysis["loss_fraction"])
    summary = pd.concat([run_summary(g.dropna(axis=1, how="all"), analysis["loss_fraction"])
                         for _, g in steps.groupby("objective")],
                        ignore_index=True)
    return {"steps": steps, "runs": summary,
            "fits": fits(summary, grid, analysis["bootstrap"], analysis["seed"])}
