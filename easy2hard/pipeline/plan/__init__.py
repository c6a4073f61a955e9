"""The plan: every file the config asks for, in one place (``final_output``), and every
cross-key check of the config (``problems``), gathered from the stages.

Each stage is one plan module under this package ending in ``STAGE = Stage(...)`` (the
contract is in ``stage.py``): its config block and ``enabled`` key, its targets, its checks,
its figure registry, the input functions of its rules and its job table (every rule's params,
``job_params``), and the stages it needs (``Stage.needs``: a stage's jobs are planned only
through enabled stages). Adding a stage: one module, one entry in ``STAGES`` below, and the
other places of the README's checklist (``tests/test_stage_checklist.py``).
"""

from __future__ import annotations

import functools

from . import (claims, fourier, images, linear, mcm, multipatch, networks, random_features,
               report, theory)
from . import folders  # noqa: E402  (datasets of the user's images; builds on images)
from . import external  # noqa: E402  (checkpoints trained elsewhere; builds on images)
from .jobs import PlannedJob, walk
from .stage import Figure, Job, Stage

#: every stage, in the order of ``rule all``; then the claims, which decide the others'
#: conclusions from their tables, and the report, which renders them
STAGES: tuple[Stage, ...] = (
    images.STAGE, mcm.STAGE, theory.STAGE, networks.STAGE, linear.STAGE, fourier.STAGE,
    multipatch.STAGE, random_features.STAGE, claims.STAGE, report.STAGE,
)


def enabled_stages(cfg: dict) -> list[Stage]:
    """The stages that plan jobs: the enabled ones (a need of an enabled stage must be
    enabled too, ``need_problems``)."""
    return [stage for stage in STAGES if stage.enabled(cfg)]


def with_needs(cfg: dict, names) -> list[str]:
    """``names`` and every stage they need with this config, transitively, in stage order:
    the stages to enable so that ``names`` plan their jobs."""
    by_name, out, todo = {stage.name: stage for stage in STAGES}, set(), list(names)
    while todo:
        name = todo.pop()
        if name not in out:
            out.add(name)
            todo += list(by_name[name].needs(cfg))
    return [stage.name for stage in STAGES if stage.name in out]


def need_problems(cfg: dict) -> list[str]:
    """Each enabled stage whose config asks for the files of a disabled stage (``Stage.needs``):
    one problem naming both stages and the key that makes the need."""
    by_name = {stage.name: stage for stage in STAGES}
    return [f"config key '{key}': stage {stage.name} needs stage {need} with this config "
            f"(its jobs read files of the {need} stage), but {need}.enabled is false; "
            f"allowed: {need}.enabled: true, or a value of {key} that does not ask for {need}"
            for stage in enabled_stages(cfg) for need, key in stage.needs(cfg).items()
            if not by_name[need].enabled(cfg)]


def final_output(cfg: dict, results: str = "results") -> list[str]:
    """Every target of the enabled stages, in stage order, without duplicates."""
    out = [p for stage in enabled_stages(cfg) for p in stage.targets(cfg, results)]
    return list(dict.fromkeys(out))


def problems(cfg: dict) -> list[str]:
    """Every cross-key problem of a schema-valid config: the needs of the enabled stages, the
    shared datasets' checks, then the ``check`` of each enabled stage (every stage that plans
    jobs). The report's check plans every target, so it runs only once the others are sound."""
    out = need_problems(cfg) or folders.name_problems(cfg)
    if out:
        return out
    out = images.dataset_problems(cfg)
    out += [msg for stage in enabled_stages(cfg) for msg in stage.check(cfg)]
    if out or not report.STAGE.enabled(cfg):
        return out
    return report.table_problems(cfg, final_output(cfg))


@functools.cache
def job_models() -> dict[str, tuple[str, Job]]:
    """Every rule's job model with the stage that owns it: the written rules of each stage's
    job table, its generated figure rules, and the generated claims rules. Built once per
    process (``STAGES`` is fixed): the rule files ask for it once per rule and field."""
    out: dict[str, tuple[str, Job]] = {}
    tables = [(stage.name, stage.jobs) for stage in STAGES]
    tables += [(stage.name, {fig.rule: fig.job() for fig in stage.figures}) for stage in STAGES]
    tables.append((claims.STAGE.name, claims.generated_jobs(STAGES)))
    for stage, table in tables:
        for rule, job in table.items():
            if rule in out:
                raise KeyError(f"rule {rule!r} is in the job tables of stages "
                               f"{out[rule][0]!r} and {stage!r}, not one")
            out[rule] = (stage, job)
    return out


def _job(rule: str) -> Job:
    try:
        return job_models()[rule][1]
    except KeyError:
        raise KeyError(f"rule {rule!r} is in no stage's job table") from None


def planned_jobs(cfg: dict, results: str = "results") -> list[PlannedJob]:
    """Every job a run of ``cfg`` plans from an empty results root, with ``all``: the job
    tables walked back from ``final_output`` (``plan.jobs``)."""
    return walk(job_models(), cfg, results, final_output(cfg, results))


def job_params(cfg: dict, rule: str) -> dict:
    """The params of the written rule ``rule``, from the job table of the stage that owns it
    (``Stage.jobs``): the one place where a rule's params are read from the config."""
    return _job(rule).params(cfg)


def job_outputs(results: str, rule: str) -> dict[str, str]:
    """The output patterns of ``rule`` under ``results`` (its job's templates)."""
    return {name: f"{results}/{template}" for name, template in _job(rule).outputs.items()}


def job_inputs(cfg: dict, results: str, rule: str):
    """The input function of ``rule`` (for ``unpack``): its job's inputs at the wildcards."""
    job = _job(rule)
    return lambda wildcards: job.inputs(cfg, results, **dict(wildcards.items()))


def job_wildcards(cfg: dict, rule: str) -> dict[str, str]:
    """The wildcard constraints of ``rule`` beyond the global ones."""
    return _job(rule).wildcards(cfg)


def figure_inputs(fig: Figure, cfg: dict, results: str, wildcards) -> dict:
    """The input files of a generated figure rule, by group."""
    return fig.inputs(cfg, results, **dict(wildcards.items()))


def figure_params(fig: Figure, cfg: dict, wildcards) -> dict:
    """The settings a generated figure rule draws with."""
    return fig.params(cfg, **dict(wildcards.items()))
