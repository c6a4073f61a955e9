"""Plan of the report: each table in config report.tables rendered as an HTML page."""

from __future__ import annotations

from ..unit_costs import unit
from .common import path
from .stage import Cost, Job, Stage

PAGE = "report/tables/{table}.html"


def targets(cfg: dict, results: str) -> list[str]:
    return [path(results, PAGE, table=table) for table in cfg["report"]["tables"]]


def producible_tables(cfg: dict) -> set[str]:
    """Tables (paths under results/ without .parquet) that some rule makes for this config:
    every planned table, the theory k* table of each MCM sweep, each U-Net run's per-seed
    evaluation and sample tables."""
    from . import final_output, images, mcm

    paths = [p for p in final_output(cfg, "results") if p.endswith(".parquet")]
    paths += mcm.exponents(cfg["mcm"]["sweeps"], "results")
    for run, spec in cfg["unet"]["runs"].items():
        paths += images.eval_tables(cfg, "results", spec["dataset"], run)
        paths += images.sample_tables(cfg, "results", spec["dataset"], run)
    return {p[len("results/"):-len(".parquet")] for p in paths}


def check(cfg: dict) -> list[str]:
    """Each table in report.tables is made by some rule with this config."""
    tables = cfg["report"]["tables"]
    if not tables:
        return []
    made = producible_tables(cfg)
    out = []
    for table in tables:
        if table not in made:
            near = sorted(t for t in made if t.split("/")[0] == table.split("/")[0])[:8]
            hint = ", ".join(near) if near else ", ".join(sorted(made)[:8])
            out.append(f"config key 'report.tables': no rule makes table {table!r} with this "
                       f"config; allowed: tables under results/ without .parquet, e.g. {hint}")
    return out


JOBS = {"report_table": Job(
    outputs={"page": PAGE}, wildcards=lambda cfg: {"table": "[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*"},
    inputs=lambda cfg, results, table: {"table": f"{results}/{table}.parquet"},
    cost=lambda cfg, table: Cost(unit("small_job"), "report.tables", "one HTML page"),
    params=lambda cfg: {"max_rows": cfg["report"]["max_rows"]})}

STAGE = Stage(name="report", targets=targets, check=check, jobs=JOBS)
