#!/usr/bin/env python
"""Estimated against measured seconds per rule, for the rules whose names start with the
given prefixes (all rules without one):

    python scripts/rule_costs.py MEASURED [--config config/config.yaml] [--job-start S] [PREFIX ...]

MEASURED has one line per rule, ``rule jobs total_seconds [per-job seconds]`` (as
/work/notes/rule_seconds.txt: each job's seconds include its start). The estimate of a rule
is the sum of ``easy2hard.pipeline.cost.estimate``'s jobs of that rule (each job's cost plus
one job_start, or S seconds with --job-start); the ratio is estimated / measured.
"""

from __future__ import annotations

import argparse
from collections import defaultdict

from easy2hard.pipeline import config, cost


def measured(path: str) -> dict[str, tuple[int, float]]:
    out = {}
    with open(path) as lines:
        for line in lines:
            rule, jobs, total = line.split()[:3]
            out[rule] = (int(jobs), float(total))
    return out


def estimated(cfg: dict, job_start: float | None = None) -> dict[str, list[float]]:
    shift = 0.0 if job_start is None else job_start - cost.unit("job_start")
    out: dict[str, list[float]] = defaultdict(list)
    for jobs in cost.estimate(cfg).values():
        for job in jobs:
            out[job.name.split(" ")[0]].append(job.seconds + (shift if job.name != "all" else 0))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("measured")
    ap.add_argument("prefixes", nargs="*")
    ap.add_argument("--config", default="config/config.yaml")
    ap.add_argument("--job-start", type=float, help="seconds of one job's start instead of "
                    "unit_costs' job_start")
    args = ap.parse_intermixed_args()
    cfg = config.validate(config.read_yaml(args.config))
    meas, est = measured(args.measured), estimated(cfg, args.job_start)
    rules = sorted(r for r in set(meas) | set(est) if r.startswith(tuple(args.prefixes) or ""))
    print(f"{'rule':<30} {'jobs est/meas':>13} {'estimated s':>12} {'measured s':>11} {'ratio':>6}")
    sums = [0.0, 0.0]
    for rule in rules:
        n_meas, t_meas = meas.get(rule, (0, 0.0))
        t_est = sum(est.get(rule, []))
        sums[0], sums[1] = sums[0] + t_est, sums[1] + t_meas
        ratio = f"{t_est / t_meas:6.2f}" if t_meas else "     -"
        jobs = f"{len(est.get(rule, [])):>6}/{n_meas:<6}"
        print(f"{rule:<30} {jobs} {t_est:>12.1f} {t_meas:>11.1f} {ratio}")
    ratio = sums[0] / max(sums[1], 1e-9)
    print(f"{'total':<30} {'':>13} {sums[0]:>12.1f} {sums[1]:>11.1f} {ratio:6.2f}")


if __name__ == "__main__":
    main()
