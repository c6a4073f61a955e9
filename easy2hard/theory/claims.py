"""The theory stage's claims: the overlap SDE's n* against the simulated one-neuron n*.

``sde_threshold`` (claim ``theory.sde_threshold``) reads the MCM stage's
``mcm/thresholds.parquet`` (simulated n* with its seed-bootstrap interval, the SDE's n* with
its Monte-Carlo interval, and the drift-only n*) and the MCM cells (for the seed count). Per
cell (sweep, setting, N) with a prediction, on the log scale:

    z = ln(n*_sim / n*_pred) / sqrt(σ_sim² + σ_SDE²),

σ the log-scale standard error its ``interval``-level interval implies
(``core.claims.log_sigma``: ln(hi/lo) / (2 z_q)); the drift-only control's z uses the same
denominator with n*_drift in place of n*_pred. Decision (a χ² test with one degree of freedom
per cell): ``supported`` if Σ z² ≤ χ²_level(cells) for the SDE while the drift-only sum
exceeds it; ``refuted`` if the SDE's sum exceeds χ² at the family-wise level; else
``inconclusive``. Calibration: every scored cell's simulation crosses the level within its budget (a finite n*
and interval).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core import claims as C
from ..core.tables import read_parquet, read_parquets


def seed_count(paths) -> int:
    """The fewest independent seeds of any MCM cell."""
    return min(read_parquet(p)["seed"].nunique() for p in paths) if paths else 0


def cell_label(row) -> str:
    return f"{row['sweep']} N={int(row['N'])}"


def z_scores(thr: pd.DataFrame, interval: float) -> tuple[np.ndarray, np.ndarray]:
    """(z of the SDE, z of the drift-only control) per row of the thresholds table."""
    sigma = np.hypot(C.log_sigma(thr["n_star_lo"], thr["n_star_hi"], interval),
                     C.log_sigma(thr["n_star_pred_lo"], thr["n_star_pred_hi"], interval))
    log_sim = np.log(thr["n_star"].to_numpy(float))
    return ((log_sim - np.log(thr["n_star_pred"].to_numpy(float))) / sigma,
            (log_sim - np.log(thr["n_star_drift"].to_numpy(float))) / sigma)


def sde_threshold(inputs: dict, options: dict) -> C.Evaluation:
    """Σ z² of the SDE's n* against the simulation, with drift-only as the control."""
    lv = C.Levels.from_options(options)
    thr = read_parquets(inputs["thresholds"])
    thr = thr[np.isfinite(thr["n_star_pred"].astype(float))].reset_index(drop=True)
    n_seeds = seed_count(inputs.get("tables", []))
    cols = ["n_star", "n_star_lo", "n_star_hi"]
    missed = [cell_label(r) for _, r in thr.iterrows()
              if not np.all(np.isfinite(r[cols].to_numpy(float)))]
    reason = C.gate(n_seeds=n_seeds, calibrated=not missed and len(thr) > 0,
                    calibration=("no cell has a prediction" if thr.empty else
                                 f"no crossing within the budget at {', '.join(missed)}"))
    if reason is not None:
        return C.Evaluation("inconclusive", reason, n_seeds=n_seeds)
    z_sde, z_drift = z_scores(thr, options["interval"])
    sde, bound = C.chi2_score(z_sde, lv.level)
    drift, _ = C.chi2_score(z_drift, lv.level)
    _, wide = C.chi2_score(z_sde, lv.refute_level)
    k = len(thr)
    if sde <= bound < drift:
        verdict = "supported"
    elif sde > wide:
        verdict = "refuted"
    else:
        verdict = "inconclusive"
    bias = float(np.mean(np.log(thr["n_star"] / thr["n_star_pred"])))
    reason = (f"Σz² SDE {sde:.1f}, drift-only {drift:.1f} over {k} cells; χ²_{lv.level:g}({k}) "
              f"= {bound:.1f}, family-wise {wide:.1f}; mean ln(sim/SDE) {bias:+.3f}")
    return C.Evaluation(verdict, reason, estimate=sde, lo=sde, hi=sde, control_estimate=drift,
                        control_lo=drift, control_hi=drift, n_seeds=n_seeds)
