"""The plan: every file the config asks for, in one place (``final_output``), and every
cross-key check of the config (``problems``), gathered from the stages.

Each stage is one plan module under this package ending in ``STAGE = Stage(...)`` (the
contract is in ``stage.py``): its config block and ``enabled`` key, its targets, its checks,
its figure registry, the input functions of its rules and its job table (every rule's params,
``job_params``). Adding a stage = one module + one entry in ``STAGES`` below.
"""

from __future__ import annotations

from . import (claims, fourier, images, linear, mcm, multipatch, networks, random_features,
               report, theory)
from . import folders  # noqa: E402  (datasets of the user's images; builds on images)
from . import external  # noqa: E402  (checkpoints trained elsewhere; builds on images)
from .stage import Figure, Stage

#: every stage, in the order of ``rule all``; then the claims, which decide the others'
#: conclusions from their tables, and the report, which renders them
STAGES: tuple[Stage, ...] = (
    images.STAGE, mcm.STAGE, theory.STAGE, networks.STAGE, linear.STAGE, fourier.STAGE,
    multipatch.STAGE, random_features.STAGE, claims.STAGE, report.STAGE,
)


def enabled_stages(cfg: dict) -> list[Stage]:
    return [stage for stage in STAGES if stage.enabled(cfg)]


def final_output(cfg: dict, results: str = "results") -> list[str]:
    """Every target of the enabled stages, in stage order, without duplicates."""
    out = [p for stage in enabled_stages(cfg) for p in stage.targets(cfg, results)]
    return list(dict.fromkeys(out))


def problems(cfg: dict) -> list[str]:
    """Every cross-key problem of a schema-valid config: the shared datasets' checks, then the
    ``check`` of each enabled stage. The report's check plans every target, so it runs only
    once the others are sound."""
    out = folders.name_problems(cfg)
    if out:
        return out
    out = images.dataset_problems(cfg)
    out += [msg for stage in enabled_stages(cfg) if stage is not report.STAGE
            for msg in stage.check(cfg)]
    if out or not report.STAGE.enabled(cfg):
        return out
    return report.STAGE.check(cfg)


def job_params(cfg: dict, rule: str) -> dict:
    """The params of the written rule ``rule``, from the job table of the stage that owns it
    (``Stage.jobs``): the one place where a rule's params are read from the config."""
    owners = [stage for stage in STAGES if rule in stage.jobs]
    if len(owners) != 1:
        raise KeyError(f"rule {rule!r} is in the job table of {len(owners)} stages, not one: "
                       f"{[stage.name for stage in owners]}")
    return owners[0].jobs[rule](cfg)


def figure_inputs(fig: Figure, cfg: dict, results: str, wildcards) -> dict:
    """The input files of a generated figure rule, by group."""
    return fig.inputs(cfg, results, **dict(wildcards.items()))


def figure_params(fig: Figure, cfg: dict, wildcards) -> dict:
    """The settings a generated figure rule draws with."""
    return fig.params(cfg, **dict(wildcards.items()))
