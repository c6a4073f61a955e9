"""The stage contract: what every stage of the pipeline declares, in one shape.

A stage is one domain package (the science), one plan module under this package (what to
make, from which settings), one rule file (``workflow/rules/<stage>.smk``: its jobs) and thin
scripts. The plan module ends with one ``STAGE = Stage(...)``, registered in
``plan.__init__.STAGES``:

- ``name``: the stage's config block; the stage runs iff ``cfg[name]["enabled"]``;
- ``targets(cfg, results)``: the files ``rule all`` asks for (only called when enabled);
- ``check(cfg)``: cross-key problems, each naming its key and what is allowed (only run
  when enabled);
- ``needs(cfg)``: the other stages whose files this stage's jobs read with this config,
  ``{stage name: the config key that asks for them}`` (``tuple(needs(cfg))``: their names).
  A stage's jobs are planned only through enabled stages: enabling a stage whose need is off
  is one config error naming both stages and the key (``plan.need_problems``);
- ``figures``: the figure registry, one ``Figure`` each. The workflow generates every
  figure rule from it (``workflow/rules/figures.smk``): no figure rule is written by hand;
- ``claims``: the stage's conclusions as code, one ``Claim`` each: what the paper says, the
  prediction that would support it, the control it must rule out, its calibration check, and
  the evaluate function (in the domain's ``claims`` module) that decides it from the tables on
  every run (rule ``claims_<stage>``, ``docs/claims.md``);
- ``jobs``: the job table, ``{rule: Job}``: the one model of each of the stage's written
  rules: its output templates, its inputs, its params and its cost, built from the validated
  config (``cfg["results_dir"]`` is the results root). The rule file takes everything from it
  (``output: **plan.job_outputs(RESULTS, "<rule>")``, ``input: unpack(plan.job_inputs(config,
  RESULTS, "<rule>"))``, ``wildcard_constraints: **plan.job_wildcards(config, "<rule>")``,
  ``params: **plan.job_params(config, "<rule>")``) and reads no config key itself; the cost
  estimate walks the same table back from ``final_output`` (``plan.jobs``), so it plans the
  jobs Snakemake plans.

A figure's drawing function lives in its domain package and has one signature::

    draw(inputs: dict[str, list[str]], params: dict) -> tuple[Figure, dict[str, DataFrame]]

It reads its input files, draws, and returns the matplotlib figure together with the data
it drew (one table per group of series), so that tests can assert on what was drawn. The
generic script ``workflow/scripts/figure.py`` styles, calls it, saves PDF and PNG atomically,
and logs the drawn data.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Callable

from ..unit_costs import unit
from .common import FIGURE_FILES


def _no_params(cfg: dict, **wildcards) -> dict:
    return {}


def _no_inputs(cfg: dict, results: str, **wildcards) -> dict:
    return {}


@dataclass(frozen=True)
class Cost:
    """The CPU time of one job's work on one core (the estimate adds the job's start).

    key: the config key that sets its size (named when the job is over cost.max_job_hours);
    work: its size in words; on_gpu: it runs on an accelerator where one is present.
    """

    seconds: float
    key: str
    work: str = ""
    on_gpu: bool = False


@dataclass(frozen=True)
class Job:
    """One written rule: everything the plan knows of its jobs.

    outputs: ``{name: template}``, paths relative to the results root with ``{wildcard}``
    fields (the plan module's path constants: each output pattern is written once);
    cost(cfg, **wildcards) -> Cost: one job's CPU time;
    params(cfg) -> dict: the rule's params (plain values or functions of the wildcards);
    inputs(cfg, results, **wildcards) -> {name: path or [paths]}: what one job reads;
    wildcards(cfg) -> {name: regex}: constraints beyond the global ones (``common.WILDCARDS``).
    """

    outputs: dict
    cost: Callable
    params: Callable = _no_params
    inputs: Callable = _no_inputs
    wildcards: Callable = _no_params


@dataclass(frozen=True)
class Figure:
    """One figure: ``figures/<name>.{pdf,png}``; ``name`` may hold ``{wildcards}``.

    inputs(cfg, results, **wildcards) -> {group: [paths]}: the tables it reads;
    params(cfg, **wildcards) -> dict: the settings it draws with (JSON-able);
    draw: ``"package.module:function"`` (signature in the module docstring);
    caption: the report caption ``workflow/report/<caption>.rst`` (default: the name up to
    its first wildcard); wildcards: a regular expression per wildcard.
    """

    name: str
    draw: str
    inputs: Callable[..., dict]
    category: str
    params: Callable[..., dict] = _no_params
    caption: str = ""
    wildcards: dict = field(default_factory=dict)

    @property
    def rule(self) -> str:
        """The generated rule's name: ``figure_`` + the name without its wildcards."""
        return "figure_" + re.split(r"_?\{", self.name)[0]

    @property
    def caption_file(self) -> str:
        return self.caption or re.split(r"_?\{", self.name)[0]

    @property
    def module(self) -> str:
        """The module of the drawing function."""
        return self.draw.partition(":")[0]

    def function(self) -> Callable:
        return getattr(importlib.import_module(self.module), self.draw.partition(":")[2])

    def job(self) -> "Job":
        """The generated rule's job model: its PDF and PNG, the tables it reads, and the cost
        of a drawing (its job's start)."""
        return Job(outputs={k: t.replace("{name}", self.name) for k, t in FIGURE_FILES.items()},
                   cost=lambda cfg, **wc: Cost(unit("figure"), "figures", "one drawing"), params=self.params,
                   inputs=self.inputs, wildcards=lambda cfg: dict(self.wildcards))


@dataclass(frozen=True)
class Claim:
    """One conclusion, decided from the tables on every run (``easy2hard.core.claims``).

    id: ``<stage>.<snake_case>``, cited in docs as ``claim:<id>``;
    statement: what the paper (or the project) says, in one sentence; source: where;
    prediction: the number or ordering that would support it, with its tolerance;
    control: the simpler explanation it must rule out, and how the tables measure it;
    calibration: the check that the cells learned at all (failed: ``inconclusive``);
    evaluate: ``"easy2hard.<domain>.claims:<function>"``, imported only inside the claims
    job, called as ``evaluate(inputs, options) -> Evaluation``;
    inputs(cfg, results) -> {group: [paths]}: the tables it reads (those of another stage
    make this claim need that stage); params(cfg) -> dict: its settings (JSON-able);
    figure: the figure that shows it; deterministic: no training randomness (exempt from
    the seed count).
    """

    id: str
    statement: str
    source: str
    prediction: str
    control: str
    calibration: str
    evaluate: str
    inputs: Callable[..., dict]
    params: Callable[..., dict] = _no_params
    figure: str = ""
    deterministic: bool = False

    @property
    def module(self) -> str:
        return self.evaluate.partition(":")[0]

    def function(self) -> Callable:
        return getattr(importlib.import_module(self.module), self.evaluate.partition(":")[2])


@dataclass(frozen=True)
class Stage:
    """One stage of the pipeline (see the module docstring)."""

    name: str
    targets: Callable[[dict, str], list]
    check: Callable[[dict], list] = lambda cfg: []
    needs: Callable[[dict], dict] = lambda cfg: {}
    figures: tuple = ()
    jobs: dict = field(default_factory=dict)
    claims: tuple = ()

    def enabled(self, cfg: dict) -> bool:
        return bool(cfg[self.name]["enabled"])
