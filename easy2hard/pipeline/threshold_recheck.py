"""Re-run one MCM threshold cell where the overlap SDE's n* left the simulation's interval
(``mcm/thresholds.parquet``, ``within`` false), with the check that tells the explanations
apart (docs/stages/mcm.md, "Misses"):

- **more seeds**: the cell's runs again with ``seeds`` seeds (0 … seeds − 1, a superset of the
  sweep's usual 16): a miss that is the seed sample's luck moves into a narrower interval, a
  real disagreement stays outside it;
- **smaller learning rates**: lr × f for each factor f (n_max / f, so the budget covers the
  slower escape), simulation and SDE alike. The SDE expands one step to O(η) in the mean and
  keeps its noise Gaussian; an error of that expansion shrinks with f (the ratio tends to 1),
  while a wrong drift L(m), or a start law the SDE gets wrong, does not depend on η.

The SDE's n* carries its own Monte-Carlo error (its interval ``n_star_pred_lo/hi``, from its
``paths`` paths): give it more paths than the pipeline's, so that the comparison is limited
by the simulation. One table row per factor and setting, with the columns of
``mcm.analysis.threshold_table`` plus ``lr_factor``, ``lr``, ``seeds`` and ``samples`` (of
that setting: seeds × n_max). It imports both the mcm and the theory domains, which is why
it lives in the pipeline layer.
"""

from __future__ import annotations

import logging

import pandas as pd

from ..mcm import analysis, sweeps
from ..theory import dynamics


def scaled_spec(spec: dict, lr_factor: float, seeds: int) -> dict:
    """The sweep ``spec`` with lr × ``lr_factor``, the sample budget ÷ ``lr_factor`` and
    seeds 0 … ``seeds`` − 1."""
    if lr_factor <= 0 or seeds < 2:
        raise ValueError(f"lr factor {lr_factor} and seeds {seeds}: allowed lr factor > 0 "
                         "and at least 2 seeds (the interval resamples seeds)")
    return {**spec, "seeds": list(range(seeds)),
            "lr": {**spec["lr"], "coef": spec["lr"]["coef"] * lr_factor},
            "n_max": {**spec["n_max"], "coef": spec["n_max"]["coef"] / lr_factor}}


def recheck(spec: dict, sweep: str, N: int, seeds: int, lr_factors, options: dict,
            theory: dict, log: logging.Logger | None = None) -> pd.DataFrame:
    """Simulated n* (seed-bootstrap interval) against the SDE's n* at (``sweep``, ``N``) for
    each learning-rate factor, with ``seeds`` seeds. ``options``: the threshold table's
    ``level`` and ``bootstrap`` (pipeline.plan.mcm.threshold_params); ``theory``: the SDE's
    ``paths`` and ``seed`` (config ``theory.dynamics``)."""
    log = log or logging.getLogger("easy2hard.mcm.recheck")
    rows = []
    for f in lr_factors:
        s = scaled_spec(spec, float(f), int(seeds))
        lr, n_max = sweeps.learning_rate(s, N), sweeps.n_max(s, N)
        log.info("%s N=%d: lr x %g = %.4g, %d seeds, n_max %d", sweep, N, f, lr, seeds, n_max)
        simulated = sweeps.train_cell(s, N, log=log)
        predicted = dynamics.predicted_curves(s, [[N, lr, n_max]], theory["paths"],
                                              theory["seed"])
        for table in (simulated, predicted):
            table.insert(0, "sweep", sweep)
        row = analysis.threshold_table(simulated, predicted, options["level"],
                                       options["bootstrap"])
        row.insert(1, "lr_factor", float(f))
        row["lr"], row["seeds"], row["samples"] = lr, int(seeds), int(seeds) * n_max
        for r in row.itertuples():
            log.info("%s: n* %.4g [%.4g, %.4g], predicted %.4g (drift only %.4g): ratio %.3f, %s",
                     r.activation, r.n_star, r.n_star_lo, r.n_star_hi, r.n_star_pred,
                     r.n_star_drift, r.ratio, "within" if r.within else "OUTSIDE")
        rows.append(row)
    return pd.concat(rows, ignore_index=True)


def markdown(table: pd.DataFrame, ci: float) -> str:
    """The recheck table as Markdown: a row per setting and lr factor."""
    out = [f"| setting | lr factor | seeds | simulated n* [{ci:.0%} interval] | SDE n* [its "
           f"{ci:.0%} Monte-Carlo interval] (drift only) | ratio | within |",
           "|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        out.append(f"| {r.activation} | {r.lr_factor:g} | {r.seeds} | {r.n_star:.3g} "
                   f"[{r.n_star_lo:.3g}, {r.n_star_hi:.3g}] | {r.n_star_pred:.3g} "
                   f"[{r.n_star_pred_lo:.3g}, {r.n_star_pred_hi:.3g}] ({r.n_star_drift:.3g}) | "
                   f"{r.ratio:.2f} | {'yes' if r.within else 'no'} |")
    return "\n".join(out)
