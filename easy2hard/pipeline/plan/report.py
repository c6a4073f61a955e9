"""Plan of the report: each table in config report.tables rendered as an HTML page."""

from __future__ import annotations


def targets(cfg: dict, results: str) -> list[str]:
    return [f"{results}/report/tables/{table}.html" for table in cfg["report"]["tables"]]
