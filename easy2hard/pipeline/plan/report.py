"""Plan of the report: each table in config report.tables rendered as an HTML page."""

from __future__ import annotations

from ..unit_costs import unit
from . import images, mcm
from .common import path
from .stage import Cost, Job, Stage

PAGE = "report/tables/{table}.html"

#: the stage whose rules make the tables under a folder of results/ other than a stage's name
FOLDER_STAGES = {"data": "images", "clones": "images", "unet": "images"}


def targets(cfg: dict, results: str) -> list[str]:
    return [path(results, PAGE, table=table) for table in cfg["report"]["tables"]]


def needs(cfg: dict) -> dict:
    """The stages whose tables ``report.tables`` renders: the stage named by a table's first
    folder (data, clones and unet are the images stage's)."""
    out = {}
    for table in cfg["report"]["tables"]:
        folder = table.split("/")[0]
        stage = FOLDER_STAGES.get(folder, folder)
        if isinstance(cfg.get(stage), dict) and "enabled" in cfg[stage]:
            out.setdefault(stage, "report.tables")
    return out


def producible_tables(cfg: dict, planned: list[str]) -> set[str]:
    """Tables (paths under results/ without .parquet) that some rule makes for this config:
    every planned table (``planned``: the run's targets under ``results``), the theory k*
    table of each MCM sweep, each U-Net run's per-seed evaluation and sample tables."""
    paths = [p for p in planned if p.endswith(".parquet")]
    paths += mcm.exponents(cfg["mcm"]["sweeps"], "results")
    for run, spec in cfg["unet"]["runs"].items():
        paths += images.eval_tables(cfg, "results", spec["dataset"], run)
        paths += images.sample_tables(cfg, "results", spec["dataset"], run)
    return {p[len("results/"):-len(".parquet")] for p in paths}


def table_problems(cfg: dict, planned: list[str]) -> list[str]:
    """Each table in report.tables is made by some rule with this config (``planned``: every
    target of the run, ``plan.final_output``; ``plan.problems`` calls this last)."""
    tables = cfg["report"]["tables"]
    if not tables:
        return []
    made = producible_tables(cfg, planned)
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

#: no ``check``: the tables' check needs every stage's targets (``table_problems``)
STAGE = Stage(name="report", targets=targets, needs=needs, jobs=JOBS)
