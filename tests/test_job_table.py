"""The job tables are the one model of the jobs: the cost estimate's jobs are Snakemake's.

For the default config and every tiny config, ``plan.planned_jobs`` (the job tables walked
back from ``final_output``) plans exactly the jobs, rule by rule, that ``snakemake -n``
plans from an empty results root; every job has a cost; the estimate counts them all.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from .conftest import REPO, snakemake
from easy2hard.pipeline import config, cost, plan

CONFIGS = ["config/config.yaml", *sorted(str(p.relative_to(REPO))
                                         for p in (REPO / "config/test").glob("*.yaml"))]


def dry_run_counts(tmp_path: Path, cfg: dict) -> Counter:
    """Jobs per rule of ``snakemake -n`` (its job-stats table) from an empty results root."""
    out = snakemake(tmp_path, cfg, "-n").stdout
    stats = out.split("Job stats:", 1)[1].split("total", 1)[0]
    return Counter({m.group(1): int(m.group(2))
                    for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", stats, re.M)})


def config_of(name: str, tmp_path: Path) -> dict:
    raw = config.read_yaml(REPO / name)
    raw["results_dir"] = "results"  # under the dry run's working directory, empty
    return raw


@pytest.mark.parametrize("name", CONFIGS)
def test_planned_jobs_are_snakemakes(name, tmp_path):
    raw = config_of(name, tmp_path)
    cfg = config.validate(dict(raw))
    planned = Counter(job.rule for job in plan.planned_jobs(cfg, cfg["results_dir"]))
    assert planned == dry_run_counts(tmp_path, raw)


@pytest.mark.parametrize("name", CONFIGS)
def test_estimate_costs_every_planned_job(name, tmp_path):
    cfg = config.validate(config_of(name, tmp_path))
    estimate = cost.estimate(cfg)
    n_planned = len(plan.planned_jobs(cfg))
    assert sum(len(jobs) for jobs in estimate.values()) == n_planned
    assert all(job.seconds > 0 for jobs in estimate.values() for job in jobs if job.name != "all")


def test_every_rule_is_modelled():
    """Every rule of the workflow has a job model (no rule outside the job tables)."""
    models = plan.job_models()
    written = set()
    for smk in (REPO / "workflow/rules").glob("*.smk"):
        written |= set(re.findall(r"^rule (\w+):", smk.read_text(), re.M))
    assert written - set(models) == set()


def test_overlapping_outputs_are_an_error(monkeypatch):
    """Two rules that both match a planned file stop the walk, naming both."""
    from easy2hard.pipeline.plan import jobs
    from easy2hard.pipeline.plan.stage import Cost, Job

    job = Job(outputs={"t": "x/{a}.parquet"}, cost=lambda cfg, **wc: Cost(1.0, "k"))
    other = Job(outputs={"t": "x/{b}.parquet"}, cost=lambda cfg, **wc: Cost(1.0, "k"))
    models = {"one": ("s", job), "two": ("s", other)}
    with pytest.raises(ValueError, match="one.*two"):
        jobs.walk(models, {}, "r", ["r/x/1.parquet"])
