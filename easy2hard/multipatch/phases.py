"""Phases of the trajectories and the scaling fits (docs/science.md §11.7); pandas only.

Phases, per run, from its training loss L(k) (gradient descent decreases it monotonically):
the fraction of the run's total drop reached, D(k) = (L(0) − L(k)) / (L(0) − L(last)), labels
a logged step ``growth`` while D < f (the loss has not materially changed: the paper's first
stage of linear growth), ``stationary`` once D ≥ 1 − f (the end state), ``transition`` between.
The run leaves growth at the first logged step with D ≥ f; it has converged if D ≥ 1 − f at
its second-to-last logged step already; a run whose total drop is below f times the largest
of its objective has not left growth.

End of growth by the alignments (docs/science.md §11.7, the claims' definition): the first
logged step at which the signal alignment max_r |⟨w_r, μ⟩| reaches a factor (``growth_factors``,
10 and 3 by default) times its value at initialisation.

Fits: log y = s log x + b by least squares over runs; the confidence interval is the 2.5-97.5 %
range of s over bootstrap resamples of the seeds (all runs of a drawn seed together: runs of
one seed share data, labels and initial filters). Slopes of the ratio against n·SNR² at the
alignment-based end of growth and at fixed flow times are per-seed slopes over the n·SNR² at
which every seed has a value, averaged over seeds, with the seed bootstrap of that mean.
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


def growth_end(run: pd.DataFrame, factor: float) -> pd.Series | None:
    """The logged row at which the signal alignment first reaches ``factor`` × its initial
    value (None if it never does)."""
    run = run.sort_values("step")
    hit = run[run["align_mu1"] >= factor * run["align_mu1"].iloc[0]]
    return hit.iloc[0] if len(hit) else None


def ratios_at(steps: pd.DataFrame, factor: float | None) -> pd.DataFrame:
    """Per run (seed, n_snr2) of one grid: the step, flow time and ratio at the growth end by
    ``factor`` (NaN if never reached), or at initialisation for ``factor`` None."""
    rows = []
    for (seed, n), run in steps.groupby(["seed", "n_snr2"]):
        row = run.sort_values("step").iloc[0] if factor is None else growth_end(run, factor)
        rows.append({"seed": seed, "n_snr2": n,
                     **{c: float(row[c]) if row is not None else float("nan")
                        for c in ("step", "flow_time", "ratio")}})
    return pd.DataFrame(rows)


def complete_range(values: pd.DataFrame, column: str) -> tuple[pd.DataFrame, list[float]]:
    """The rows at the n·SNR² where every seed has a finite positive ``column``."""
    ok = values.assign(ok=np.isfinite(values[column]) & (values[column] > 0))
    seeds = values["seed"].nunique()
    full = sorted(n for n, g in ok.groupby("n_snr2") if g["ok"].sum() == seeds)
    return values[values["n_snr2"].isin(full)], full


def per_seed_slopes(values: pd.DataFrame, column: str) -> np.ndarray:
    """Per seed, the least-squares slope of ln ``column`` on ln n·SNR² (rows: seed, n_snr2)."""
    return np.array([np.polyfit(np.log(g["n_snr2"]), np.log(g[column]), 1)[0]
                     for _, g in values.groupby("seed")])


def seed_slope_fit(values: pd.DataFrame, column: str, samples: int, seed: int) -> dict:
    """The seed mean of the per-seed slopes over the complete n·SNR² range, with the 2.5-97.5 %
    range of its seed-bootstrap resamples, and that range (``n_snr2_min``, ``n_snr2_max``)."""
    sub, full = complete_range(values, column)
    nan = float("nan")
    if len(full) < 2:
        return {"estimate": nan, "ci_low": nan, "ci_high": nan, "n_runs": len(sub),
                "n_snr2_min": nan, "n_snr2_max": nan}
    slopes = per_seed_slopes(sub, column)
    rng = np.random.default_rng(seed)
    boot = slopes[rng.integers(0, len(slopes), (samples, len(slopes)))].mean(1)
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return {"estimate": float(slopes.mean()), "ci_low": float(lo), "ci_high": float(hi),
            "n_runs": len(sub), "n_snr2_min": full[0], "n_snr2_max": full[-1]}


def growth_slopes(steps: pd.DataFrame, factors, samples: int, seed: int) -> list[dict]:
    """Rows of the fits table: the diffusion ratio's slope in n·SNR² at the alignment-based
    end of growth per factor (phase ``alignment``), and at every logged flow time shared by
    the grid's runs (phase ``flow``; the fixed-flow-time slopes)."""
    rows = [{"phase": "alignment", "growth_factor": float(f), "flow_time": float("nan"),
             **seed_slope_fit(ratios_at(steps, f), "ratio", samples, seed)} for f in factors]
    for t, at in steps.groupby("flow_time"):
        if t > 0 and at[["seed", "n_snr2"]].drop_duplicates().shape[0] == len(at):
            rows.append({"phase": "flow", "growth_factor": float("nan"), "flow_time": float(t),
                         **seed_slope_fit(at, "ratio", samples, seed)})
    return rows


def fits(summary: pd.DataFrame, grid: dict, samples: int, seed: int,
         steps: pd.DataFrame | None = None, factors=()) -> pd.DataFrame:
    """The thresholds/slopes table: the ratio's slope in n·SNR² per phase, the classifier's
    switch point, and the width exponents per width prefactor, with bootstrap CIs.

    ``grid``: ``m`` (width of the n·SNR² grid), ``width_n_snr2`` (n·SNR² of the width grid),
    ``exponents`` ({objective: [width exponents], the first is the n·SNR² grid's}). With the
    ``steps`` table, also the diffusion ratio's slopes of ``growth_slopes`` at ``factors``."""
    rows = []
    if steps is not None:
        a = grid["exponents"]["diffusion"][0]
        grown = grid_runs(steps, "diffusion", grid["m"], a)
        rows += [{"objective": "diffusion", "quantity": "ratio vs n_snr2", "width_exponent": a,
                  "theory": 1.0, **r} for r in growth_slopes(grown, factors, samples, seed)]
    dense = summary[summary.sparsity == 1.0]
    for obj, exps in grid["exponents"].items():
        snr = grid_runs(summary, obj, grid["m"], exps[0])
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


def grid_runs(df: pd.DataFrame, objective: str, m: int, exponent: float) -> pd.DataFrame:
    """The rows of the n·SNR² grid of ``objective``: dense signal, width m, its first exponent."""
    return df[(df.objective == objective) & (df.sparsity == 1.0) & (df.m == m)
              & (df.width_exponent == exponent)]


def alignment_ends(steps: pd.DataFrame, factors) -> pd.DataFrame:
    """Per run, the step, flow time and ratio at the alignment-based end of growth of every
    factor f (columns ``growth_step_x{f}``, ``growth_flow_x{f}``, ``ratio_x{f}``; NaN where
    the signal alignment never grows f×)."""
    out = []
    for key, g in steps.groupby(RUN_KEYS, sort=True):
        row = dict(zip(RUN_KEYS, key))
        for f in factors:
            end = growth_end(g, f)
            for col, name in (("step", "growth_step"), ("flow_time", "growth_flow"), ("ratio", "ratio")):
                row[f"{name}_x{f:g}"] = float(end[col]) if end is not None else float("nan")
        out.append(row)
    return pd.DataFrame(out)


def summarise(alignment: pd.DataFrame, losses: pd.DataFrame, analysis: dict, grid: dict) -> dict:
    """Every analysis table from the two objectives' alignment tables (concatenated) and the
    diffusion loss table: ``steps`` (per step, with the test loss and the phase labels),
    ``runs`` (``run_summary`` with the ``alignment_ends`` of ``analysis['growth_factors']``)
    and ``fits`` (``fits``, with the diffusion ratio's ``growth_slopes``)."""
    test = losses[losses.set == "test"].assign(objective="diffusion")
    test = test[RUN_KEYS + ["step", "loss"]].rename(columns={"loss": "test_loss"})
    steps = label(alignment.merge(test, on=RUN_KEYS + ["step"], how="left"), analysis["loss_fraction"])
    summary = pd.concat([run_summary(g.dropna(axis=1, how="all"), analysis["loss_fraction"])
                         for _, g in steps.groupby("objective")],
                        ignore_index=True)
    factors = analysis["growth_factors"]
    summary = summary.merge(alignment_ends(steps, factors), on=RUN_KEYS, how="left")
    return {"steps": steps, "runs": summary,
            "fits": fits(summary, grid, analysis["bootstrap"], analysis["seed"], steps, factors)}
