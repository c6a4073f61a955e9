"""The jobs a config implies, walked back from ``final_output`` through the job tables.

Every written rule is one ``Job`` of its stage's job table (``stage.py``); the generated
rules (figures, claims, the report's tables) are modelled here from their registries. From
the targets of ``rule all``, each file is matched against every job's output templates (with
the same wildcard constraints the rule files declare), the job that makes it is kept with its
wildcards, and its inputs are walked in turn, as Snakemake builds its DAG from an empty
results root. A file no job makes is a source (an external folder, a user's images).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .common import WILDCARDS
from .stage import Job

_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class PlannedJob:
    """One job: its rule, the stage that owns the rule, and its wildcards (sorted pairs)."""

    rule: str
    stage: str
    wildcards: tuple

    @property
    def values(self) -> dict:
        return dict(self.wildcards)


def template_regex(template: str, constraints: dict) -> re.Pattern:
    """The regular expression of an output template: each ``{name}`` a named group of its
    constraint (``.+`` without one, as Snakemake), a repeated name a back-reference."""
    out, seen, last = [], set(), 0
    for m in _FIELD.finditer(template):
        out.append(re.escape(template[last:m.start()]))
        name = m.group(1)
        out.append(f"(?P={name})" if name in seen else f"(?P<{name}>{constraints.get(name, '.+')})")
        seen.add(name)
        last = m.end()
    out.append(re.escape(template[last:]))
    return re.compile("".join(out))


@dataclass(frozen=True)
class _Producer:
    rule: str
    stage: str
    job: Job
    patterns: tuple


def producers(models: dict, cfg: dict) -> list[_Producer]:
    """Every rule's compiled output patterns: ``models`` is ``{rule: (stage name, Job)}``."""
    out = []
    for rule, (stage, job) in models.items():
        constraints = {**WILDCARDS, **job.wildcards(cfg)}
        pats = tuple(template_regex(t, constraints) for t in job.outputs.values())
        out.append(_Producer(rule, stage, job, pats))
    return out


def _flatten(inputs) -> list[str]:
    values = inputs.values() if isinstance(inputs, dict) else inputs
    out = []
    for v in values:
        out += [v] if isinstance(v, str) else list(v)
    return out


def _match(producers_: list, rel: str) -> list[tuple[_Producer, dict]]:
    hits = []
    for prod in producers_:
        for pat in prod.patterns:
            m = pat.fullmatch(rel)
            if m:
                hits.append((prod, m.groupdict()))
                break
    return hits


def walk(models: dict, cfg: dict, results: str, targets: list[str]) -> list[PlannedJob]:
    """The jobs that make ``targets`` and everything they read, each once (plus ``all``)."""
    prods, prefix = producers(models, cfg), f"{results}/"
    jobs: dict[tuple, PlannedJob] = {("all", ()): PlannedJob("all", "all", ())}
    stack, seen = list(targets), set()
    while stack:
        path = stack.pop()
        if path in seen or not path.startswith(prefix):
            continue
        seen.add(path)
        hits = _match(prods, path[len(prefix):])
        if len(hits) > 1:
            raise ValueError(f"{path} is an output of {len(hits)} rules: "
                             f"{[h[0].rule for h in hits]}; the output patterns must not overlap")
        if not hits:
            continue
        prod, wc = hits[0]
        key = (prod.rule, tuple(sorted(wc.items())))
        if key in jobs:
            continue
        jobs[key] = PlannedJob(prod.rule, prod.stage, key[1])
        stack += _flatten(prod.job.inputs(cfg, results, **wc))
    return list(jobs.values())
