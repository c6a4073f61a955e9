"""Wall seconds of every finished job in a Snakemake log, summed per stage.

A local run logs each job's start (a ``[timestamp]`` line, then ``rule <name>:`` or
``localrule <name>:`` and ``jobid: <id>``) and its end (a timestamp, then ``Finished jobid:
<id>``). With two jobs at a time on two cores, the job seconds of a stage are its share of the
run's CPU time; they include each job's Python start-up, which a job's own log cannot see.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime

_STAMP = re.compile(r"\[(\w{3} \w{3}\s+\d+ \d\d:\d\d:\d\d \d{4})\]")
_RULE = re.compile(r"(?:local)?rule (\w+):")
_START = re.compile(r"\s+jobid: (\d+)")
_END = re.compile(r"Finished jobid: (\d+)")


def job_seconds(lines) -> list[tuple[str, float]]:
    """(rule, wall seconds) of every job that started and finished in the log ``lines``."""
    now, rule, started, out = None, None, {}, []
    for line in lines:
        if m := _STAMP.match(line):
            now = datetime.strptime(" ".join(m.group(1).split()), "%a %b %d %H:%M:%S %Y")
        elif m := _RULE.match(line):
            rule = m.group(1)
        elif (m := _START.match(line)) and rule is not None:
            started[m.group(1)] = (rule, now)
            rule = None
        elif (m := _END.match(line)) and m.group(1) in started:
            name, start = started.pop(m.group(1))
            out.append((name, (now - start).total_seconds()))
    return out


def stage_of(rule: str, stages) -> str:
    """The stage a rule belongs to: the stage whose figure registry generated it, else the
    stage named by the rule's prefix (the image stage's rules are data_, clones_ and unet_)."""
    for stage in stages:
        if any(fig.rule == rule for fig in stage.figures):
            return stage.name
    prefixes = {"data": "images", "clones": "images", "unet": "images"}
    for stage in sorted((s.name for s in stages), key=len, reverse=True):
        if rule.startswith(stage + "_"):
            return stage
    return prefixes.get(rule.split("_")[0], rule)


def stage_table(lines, stages) -> dict[str, tuple[int, float]]:
    """{stage: (jobs, job seconds)}, largest first."""
    per: dict[str, list] = defaultdict(lambda: [0, 0.0])
    for rule, seconds in job_seconds(lines):
        entry = per[stage_of(rule, stages)]
        entry[0] += 1
        entry[1] += seconds
    return {k: (n, s) for k, (n, s) in sorted(per.items(), key=lambda kv: -kv[1][1])}
