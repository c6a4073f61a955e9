"""Helpers every stage's plan shares: figure files, the params a rule may see, and the
wildcard patterns built from name lists."""

from __future__ import annotations


def figure_files(results: str, name: str) -> list[str]:
    """The PDF and PNG of one figure."""
    return [f"{results}/figures/{name}.pdf", f"{results}/figures/{name}.png"]


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
