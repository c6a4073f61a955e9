"""Helpers every stage's plan shares: figure files, the params a rule may see, and the
wildcard patterns built from name lists."""

from __future__ import annotations

import re


#: the files of one figure, relative to the results root (``{name}`` may hold wildcards)
FIGURE_FILES = {"pdf": "figures/{name}.pdf", "png": "figures/{name}.png"}


def figure_files(results: str, name: str) -> list[str]:
    """The PDF and PNG of one figure."""
    return [f"{results}/" + t.replace("{name}", name) for t in FIGURE_FILES.values()]


def without(spec: dict, *keys: str) -> dict:
    """``spec`` less ``keys``: the lists that only add cells (N, widths, depths) leave the
    params of a cell's rule, so adding one value adds one job and reruns none."""
    return {k: v for k, v in spec.items() if k not in keys}


def pick(spec: dict, *keys: str) -> dict:
    """Only ``keys`` of ``spec``: what one rule's output depends on."""
    return {k: spec[k] for k in keys}


def pattern(names) -> str:
    """The wildcard constraint that admits exactly ``names`` (a domain's name list)."""
    return "|".join(names)


def device(cfg: dict) -> dict:
    """The ``device`` param of every rule that may run on an accelerator."""
    return {"device": cfg["device"]}


def per_job(fn, cfg: dict, *names: str):
    """A param evaluated per job: ``fn(cfg, *values of the wildcards names)``."""
    def value(wildcards):
        return fn(cfg, *(getattr(wildcards, name) for name in names))
    return value


def fill(template: str, **values) -> str:
    """``template`` with only the named fields filled in (the others stay ``{wildcards}``):
    one output of a template family (``fill(SPLIT, split="test")``), or a field renamed
    (``fill(CLONE, clone="{fclone}")``)."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), template)


#: the wildcard constraints of every rule (the rule files' global ``wildcard_constraints``)
WILDCARDS = {
    "sweep": "[A-Za-z0-9_]+", "N": "[0-9]+", "figure": "[A-Za-z0-9_]+",
    "run": "[A-Za-z0-9_]+", "seed": "[0-9]+", "step": "[0-9]+",
}


def path(results: str, template: str, **wildcards) -> str:
    """The file of one output ``template`` (relative to the results root) at ``wildcards``."""
    return f"{results}/" + template.format(**wildcards)
