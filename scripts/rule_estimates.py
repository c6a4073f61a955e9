#!/usr/bin/env python
"""Each rule's estimated CPU seconds (the job table's costs, ``easy2hard.pipeline.cost``)
against the measured job seconds of a run, as a Markdown table:

    python scripts/rule_estimates.py MEASURED [CONFIG] [--rules PREFIX ...]

MEASURED holds one line per rule: ``rule jobs total_seconds [per-job seconds]`` (each job's
seconds with its start). CONFIG defaults to config/config.yaml. ``work`` is the jobs' costs,
``estimate`` adds one ``job_start`` per job, as the printed estimate does; a rule the plan
does not reach (its reader not modelled) is estimated from the measured jobs' count at the
first planned wildcards, marked ``*``.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from easy2hard.pipeline import config, cost, plan


def measured(path: str) -> dict[str, tuple[int, float]]:
    out = {}
    with open(path) as lines:
        for line in lines:
            parts = line.split()
            if len(parts) >= 3:
                out[parts[0]] = (int(parts[1]), float(parts[2]))
    return out


def planned(cfg: dict) -> dict[str, list[float]]:
    """Each rule's planned jobs' costs (seconds of work, without the start)."""
    models, out = plan.job_models(), defaultdict(list)
    for job in plan.planned_jobs(cfg):
        if job.rule != "all":
            out[job.rule].append(models[job.rule][1].cost(cfg, **job.values).seconds)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("measured")
    parser.add_argument("config", nargs="?", default="config/config.yaml")
    parser.add_argument("--rules", nargs="*", default=[], help="rule name prefixes to show")
    parser.add_argument("--start", type=float, help="a job's start in seconds (default: the "
                        "unit cost job_start)")
    args = parser.parse_args()
    cfg, runs = config.validate(config.read_yaml(args.config)), measured(args.measured)
    costs = planned(cfg)
    start = cost.unit("job_start") if args.start is None else args.start
    rules = sorted(r for r in set(runs) | set(costs)
                   if not args.rules or r.startswith(tuple(args.rules)))
    print(f"job_start = {start:g} s\n\n| rule | jobs (est./run) | work s | estimate s | "
          f"measured s | estimate / measured |\n|---|---|---|---|---|---|")
    totals = [0.0, 0.0]
    for rule in rules:
        jobs, seconds = runs.get(rule, (0, 0.0))
        work = costs.get(rule, [])
        n = len(work)
        estimate = sum(work) + n * start
        ratio = f"{estimate / seconds:.2f}" if seconds else "-"
        print(f"| {rule} | {n}/{jobs} | {sum(work):.1f} | {estimate:.1f} | {seconds:.0f} "
              f"| {ratio} |")
        totals = [totals[0] + estimate, totals[1] + seconds]
    print(f"| total | | | {totals[0]:.0f} | {totals[1]:.0f} | "
          f"{totals[0] / totals[1]:.2f} |" if totals[1] else "")


if __name__ == "__main__":
    main()
