#!/usr/bin/env python
"""Each rule's estimated CPU seconds (the job tables' costs, ``easy2hard.pipeline.cost``)
against the job seconds a run measured, from the run's Snakemake log, as a Markdown table:

    python scripts/estimate_vs_run.py .snakemake/log/<run>.snakemake.log [CONFIG] [PREFIX ...]

CONFIG defaults to config/config.yaml; PREFIX keeps the rules whose names start with it.
A job's measured seconds include its start, as its estimate does (``job_start``).
"""

from __future__ import annotations

import sys
from collections import defaultdict

from easy2hard.pipeline import config, cost, plan
from easy2hard.pipeline.job_times import job_seconds


def per_rule_estimates(cfg: dict) -> dict[str, list[float]]:
    models = plan.job_models()
    out: dict[str, list[float]] = defaultdict(list)
    for job in plan.planned_jobs(cfg):
        if job.rule != "all":
            spent = models[job.rule][1].cost(cfg, **job.values).seconds
            out[job.rule].append(spent + cost.unit("job_start"))
    return out


def main(argv: list[str]) -> None:
    log, rest = argv[0], argv[1:]
    path = rest.pop(0) if rest and rest[0].endswith(".yaml") else "config/config.yaml"
    estimates = per_rule_estimates(config.validate(config.read_yaml(path)))
    with open(log) as lines:
        measured: dict[str, list[float]] = defaultdict(list)
        for rule, seconds in job_seconds(lines):
            measured[rule].append(seconds)
    rules = sorted(r for r in set(estimates) | set(measured) if r != "all"
                   and (not rest or r.startswith(tuple(rest))))
    print("| rule | jobs (estimate / run) | estimated s | measured s | ratio |\n|---|---|---|---|---|")
    for rule in rules:
        e, m = sum(estimates.get(rule, [])), sum(measured.get(rule, []))
        ratio = f"{e / m:.2f}" if m else "-"
        print(f"| {rule} | {len(estimates.get(rule, []))} / {len(measured.get(rule, []))} | "
              f"{e:.1f} | {m:.1f} | {ratio} |")
    e = sum(sum(estimates.get(r, [])) for r in rules)
    m = sum(sum(measured.get(r, [])) for r in rules)
    print(f"| total | | {e:.1f} | {m:.1f} | {e / m if m else float('nan'):.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
