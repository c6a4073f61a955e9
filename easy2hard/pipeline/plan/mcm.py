"""Plan of the one-neuron MCM stage: one table per (sweep, N), its theory k* table, the figures.

  mcm/{sweep}/N{N}.parquet          one lockstep cell (rule mcm_sweep_cell)
  theory/sweeps/{sweep}.parquet     the theory's k* for the sweep's settings
"""

from __future__ import annotations

from .stage import Stage

from .common import figure_files, without

FIGURES = ("mcm_overlap_vs_n", "mcm_threshold_scaling", "mcm_projection")


def cells(cfg: dict, sweep: str, results: str) -> list[str]:
    return [f"{results}/mcm/{sweep}/N{N}.parquet" for N in cfg["mcm"]["sweeps"][sweep]["N"]]


def tables(cfg: dict, sweeps, results: str) -> list[str]:
    return [path for sweep in sweeps for path in cells(cfg, sweep, results)]


def sweep_spec(cfg: dict, sweep: str) -> dict:
    """A sweep's spec without its N list: adding an N adds a cell and reruns none."""
    return without(cfg["mcm"]["sweeps"][sweep], "N")


def exponents(sweeps, results: str) -> list[str]:
    """The theory's k* tables for the settings of these MCM sweeps (one per sweep)."""
    return [f"{results}/theory/sweeps/{sweep}.parquet" for sweep in sweeps]


def figure_sweeps(cfg: dict, name: str) -> list[str]:
    return cfg["figures"].get(name, {}).get("sweeps", [])


def targets(cfg: dict, results: str) -> list[str]:
    out = tables(cfg, cfg["mcm"]["sweeps"], results)
    for name in FIGURES:
        if name in cfg["figures"]:
            out += figure_files(results, name)
    return out


def check(cfg: dict) -> list[str]:
    """Figures name existing MCM sweeps."""
    sweeps = set(cfg["mcm"]["sweeps"])
    allowed = ", ".join(map(repr, sorted(sweeps))) or "(no sweeps defined)"
    return [f"config key 'figures.{fig}.sweeps': unknown sweep {name!r}; allowed: one of {allowed}"
            for fig, spec in cfg["figures"].items() for name in (spec or {}).get("sweeps", [])
            if name not in sweeps]


STAGE = Stage(name="mcm", targets=targets, check=check)
