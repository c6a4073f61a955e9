"""Plan of the one-neuron MCM stage: one table per (sweep, N), its theory tables, the n*
table and the figures.

  mcm/{sweep}/N{N}.parquet          one lockstep cell (rule mcm_sweep_cell)
  mcm/thresholds.parquet            simulated n* with its CI against the predicted n*
  theory/sweeps/{sweep}.parquet     the theory's k* for the sweep's settings
  theory/dynamics/{sweep}.parquet   the overlap SDE's predicted curves per setting and N
"""

from __future__ import annotations

import math

from ...mcm import sweeps as mcm_sweeps
from ..config import block_defaults
from ..unit_costs import unit
from .common import device, figure_files, path, per_job, without
from .stage import Claim, Cost, Figure, Job, Stage

FIGURES = ("mcm_overlap_vs_n", "mcm_threshold_scaling", "mcm_projection")
THEORY_FIGURES = ("mcm_overlap_vs_n", "mcm_threshold_scaling")  # drawn with predicted curves
CELL = "mcm/{sweep}/N{N}.parquet"
THRESHOLDS = "mcm/thresholds.parquet"


def cells(cfg: dict, sweep: str, results: str) -> list[str]:
    return [path(results, CELL, sweep=sweep, N=N) for N in cfg["mcm"]["sweeps"][sweep]["N"]]


def tables(cfg: dict, sweeps, results: str) -> list[str]:
    return [path for sweep in sweeps for path in cells(cfg, sweep, results)]


def sweep_spec(cfg: dict, sweep: str) -> dict:
    """A sweep's spec without its N list: adding an N adds a cell and reruns none."""
    return without(cfg["mcm"]["sweeps"][sweep], "N")


def sweep_cells(cfg: dict, sweep: str) -> list[list]:
    """(N, lr, n_max) of every cell of a sweep: what its predicted curves depend on."""
    spec = cfg["mcm"]["sweeps"][sweep]
    return [[int(N), mcm_sweeps.learning_rate(spec, N), mcm_sweeps.n_max(spec, N)]
            for N in spec["N"]]


def exponents(sweeps, results: str) -> list[str]:
    """The theory's k* tables for the settings of these MCM sweeps (one per sweep)."""
    from .theory import SWEEP_EXPONENTS  # the theory stage's rule makes them

    return [path(results, SWEEP_EXPONENTS, sweep=sweep) for sweep in sweeps]


def predicted(sweeps, results: str) -> list[str]:
    """The overlap SDE's predicted curves for these MCM sweeps (one table per sweep)."""
    from .theory import DYNAMICS  # the theory stage's rule makes them

    return [path(results, DYNAMICS, sweep=sweep) for sweep in sweeps]


def figure_sweeps(cfg: dict, name: str) -> list[str]:
    return (cfg["mcm"]["figures"].get(name) or {}).get("sweeps", [])


def predicted_sweeps(cfg: dict) -> list[str]:
    """The sweeps whose overlap-SDE curves a run computes (rule theory_dynamics): those of the
    figures drawn against theory (``with_theory``), each once."""
    names = [sweep for name in THEORY_FIGURES if name in cfg["mcm"]["figures"]
             for sweep in figure_sweeps(cfg, name)]
    return list(dict.fromkeys(names))


def threshold_params(cfg: dict) -> dict:
    """The crossing level and the bootstrap of n*: the threshold figure's, or the schema's
    defaults of that block where the config draws no threshold figure."""
    spec = (cfg["mcm"]["figures"].get("mcm_threshold_scaling")
            or block_defaults("mcm", "figures", "mcm_threshold_scaling"))
    boot = spec["bootstrap"]
    return {"level": spec["level"], "bootstrap": {k: boot[k] for k in ("samples", "seed", "ci")}}


def with_theory(name: str):
    """Inputs of a figure drawn against theory: cells, k* tables, predicted curves."""
    def inputs(cfg: dict, results: str) -> dict:
        sw = figure_sweeps(cfg, name)
        return {"tables": tables(cfg, sw, results), "exponents": exponents(sw, results),
                "predicted": predicted(sw, results)}
    return inputs


def targets(cfg: dict, results: str) -> list[str]:
    out = tables(cfg, cfg["mcm"]["sweeps"], results)
    for name in FIGURES:
        if name in cfg["mcm"]["figures"]:
            out += figure_files(results, name)
    if "mcm_threshold_scaling" in cfg["mcm"]["figures"]:
        out.append(path(results, THRESHOLDS))
    return out


def check(cfg: dict) -> list[str]:
    """Figures name existing MCM sweeps."""
    sweeps = set(cfg["mcm"]["sweeps"])
    allowed = ", ".join(map(repr, sorted(sweeps))) or "(no sweeps defined)"
    return [f"config key 'mcm.figures.{fig}.sweeps': unknown sweep {name!r}; allowed: one of "
            f"{allowed}"
            for fig, spec in cfg["mcm"]["figures"].items()
            for name in (spec or {}).get("sweeps", []) if name not in sweeps]


# The exponent claims: claim id suffix -> (the sweeps it may read, largest first, and the
# paper's section). A config's claim reads the first of them that its threshold figure
# draws, else the first it defines (config/paper.yaml: cumulant_large).
EXPONENT_CLAIMS = {
    "covariance": (("covariance",), "paper §4.2 (covariance spike: quasi-linear, N ln N)"),
    "cumulant": (("cumulant_large", "cumulant"),
                 "paper §4.1 (cumulant spike alone: n ≍ N^(k*−1) with k* = 4)"),
    "correlated": (("cumulant_correlated",),
                   "paper §4.2 (correlated latents: the cumulant spike at N ln N)")}
EXPONENT_TOLERANCE = 0.25


def claim_sweep(cfg: dict, candidates) -> str | None:
    """The sweep an exponent claim reads in this config, or None."""
    drawn = figure_sweeps(cfg, "mcm_threshold_scaling")
    defined = [s for s in candidates if s in cfg["mcm"]["sweeps"]]
    return next((s for s in defined if s in drawn), defined[0] if defined else None)


def exponent_inputs(candidates):
    """The sweep's cells and its k* table; none when this config has no such sweep."""
    def inputs(cfg: dict, results: str) -> dict:
        sweep = claim_sweep(cfg, candidates)
        if sweep is None:
            return {}
        return {"tables": cells(cfg, sweep, results), "exponents": exponents([sweep], results)}
    return inputs


def exponent_params(candidates):
    def params(cfg: dict) -> dict:
        sweep = claim_sweep(cfg, candidates)
        N = cfg["mcm"]["sweeps"][sweep]["N"] if sweep else []
        return {"sweep": sweep or "", "N": [int(n) for n in N], "tolerance": EXPONENT_TOLERANCE,
                "crossing_level": threshold_params(cfg)["level"]}
    return params


def exponent_claim(name: str, sweeps: tuple, source: str) -> Claim:
    return Claim(
        id=f"mcm.{name}_exponent",
        statement=f"In sweep {' or '.join(map(repr, sweeps))} the one-neuron sample complexity scales as the theory's "
                  "n* ∝ N^(k*−1) (times ln N at k* = 2).",
        source=source + "; k* from theory/sweeps/<sweep>.parquet",
        prediction=f"the slope of ln n* (n*/ln N with the log factor) on ln N over the sweep's "
                   f"N within ±{EXPONENT_TOLERANCE} of the theory's exponent",
        control="an optimisation failure (n* at the budget n_max(N)): the budget's own slope, "
                "ruled out by the calibration since the budgets scale like the theory",
        calibration="the seed-mean overlap crosses the threshold level within the budget at "
                    "every N",
        evaluate="easy2hard.mcm.claims:exponent", inputs=exponent_inputs(sweeps),
        params=exponent_params(sweeps), figure="mcm_threshold_scaling")


def runs(spec: dict) -> int:
    """The runs of one cell of a sweep: the product of its grid's list lengths."""
    return math.prod(len(spec[k]) for k in mcm_sweeps.GRID)


def cell_cost(cfg: dict, sweep: str, N: str) -> Cost:
    """runs x n_max samples; the full engine also x N."""
    spec = cfg["mcm"]["sweeps"][sweep]
    R, n = runs(spec), mcm_sweeps.n_max(spec, int(N))
    per = unit("mcm_full") * int(N) if spec["engine"] == "full" else unit("mcm_reduced")
    return Cost(unit("mcm_start") + R * n * per, f"mcm.sweeps.{sweep}",
                f"{R} runs x {n:.3g} samples")


def _thresholds_cost(cfg: dict) -> Cost:
    return Cost(unit("small_job"), "mcm.figures.mcm_threshold_scaling", "seed bootstraps")


def needs(cfg: dict) -> dict:
    """The theory stage's k* and overlap-SDE tables (rules theory_sweep_exponents,
    theory_dynamics): read by the figures drawn against theory (``with_theory``) and by the
    exponent claims when the claims run."""
    keys = [f"mcm.figures.{name}" for name in THEORY_FIGURES if figure_sweeps(cfg, name)]
    if cfg["claims"]["enabled"] and any(claim_sweep(cfg, sweeps) for sweeps, _ in
                                        EXPONENT_CLAIMS.values()):
        keys.append("claims.enabled")
    return {"theory": keys[0]} if keys else {}


JOBS = {
    "mcm_sweep_cell": Job(
        outputs={"table": CELL}, cost=cell_cost,
        params=lambda cfg: {"spec": per_job(sweep_spec, cfg, "sweep"), **device(cfg)}),
    "mcm_thresholds": Job(
        outputs={"table": THRESHOLDS}, cost=_thresholds_cost,
        inputs=lambda cfg, results: with_theory("mcm_threshold_scaling")(cfg, results),
        params=lambda cfg: {"options": per_job(threshold_params, cfg)}),
}

STAGE = Stage(
    name="mcm", targets=targets, check=check, needs=needs, jobs=JOBS,
    claims=tuple(exponent_claim(name, *spec) for name, spec in EXPONENT_CLAIMS.items()),
    figures=(
        Figure(THEORY_FIGURES[0], "easy2hard.mcm.plots:overlap_vs_n",
               with_theory(THEORY_FIGURES[0]), category="MCM"),
        Figure(THEORY_FIGURES[1], "easy2hard.mcm.plots:threshold_scaling",
               with_theory(THEORY_FIGURES[1]), category="MCM",
               params=lambda cfg: threshold_params(cfg)),
        Figure("mcm_projection", "easy2hard.mcm.plots:projection",
               lambda cfg, results: {"tables": tables(
                   cfg, figure_sweeps(cfg, "mcm_projection"), results)}, category="MCM"),
    ),
)
