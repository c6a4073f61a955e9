"""Plan of the claims: every stage's conclusions decided from its tables on every run.

  claims/{stage}.parquet   one row per claim of the stage (generated rule claims_{stage})
  claims.parquet           every stage's rows, with the family size (rule claims_merge)
  claims.html              the Claims page of the report, each row linked to its figure

A stage declares its claims in ``Stage.claims`` (``stage.Claim``). Intervals are at
``claims.level``; a refutation needs the interval at the family-wise level
1 − ``claims.alpha``/(number of claims of the run) to miss the prediction (Bonferroni).
"""

from __future__ import annotations

import hashlib
import json

from ..unit_costs import unit
from .common import path
from .stage import Claim, Cost, Job, Stage

MERGED = "claims.parquet"
PAGE = "claims.html"
STAGE_TABLE = "claims/{stage}.parquet"


def stage_table(results: str, stage: str) -> str:
    return path(results, STAGE_TABLE, stage=stage)


def _stages():
    from . import STAGES  # the claims plan reads every stage's registry

    return STAGES


def claiming_stages(cfg: dict) -> list[Stage]:
    """The enabled stages that declare claims, in stage order."""
    return [s for s in _stages() if s.claims and s.name != "claims" and s.enabled(cfg)]


def family_size(cfg: dict) -> int:
    """Number of claims this run decides: the Bonferroni family."""
    return sum(len(s.claims) for s in claiming_stages(cfg))


def targets(cfg: dict, results: str) -> list[str]:
    stages = claiming_stages(cfg)
    if not stages:
        return []
    return [stage_table(results, s.name) for s in stages] + [
        f"{results}/{MERGED}", f"{results}/{PAGE}"]


def input_key(claim: Claim, group: str) -> str:
    """The name of one input group of one claim in the stage's claims rule."""
    return f"{claim.id.split('.', 1)[1]}__{group}"


def stage_inputs(stage: Stage, cfg: dict, results: str, wildcards=None) -> dict:
    """Every claim's input tables, each group under ``<claim>__<group>`` (the rule's input
    function: Snakemake passes the job's wildcards, unused)."""
    return {input_key(c, group): list(paths) for c in stage.claims
            for group, paths in c.inputs(cfg, results).items() if paths}


def config_hash(cfg: dict, stage: str) -> str:
    """Hash of what a stage's verdicts depend on in the config: its block and the claims
    block (16 hex digits)."""
    text = json.dumps({stage: cfg[stage], "claims": cfg["claims"]}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _options(cfg: dict, claim: Claim, family: int) -> dict:
    spec = cfg["claims"]
    return {"level": spec["level"], "refute_level": 1 - spec["alpha"] / max(family, 1),
            "bootstrap": dict(spec["bootstrap"]), **claim.params(cfg)}


def stage_params(stage: Stage, cfg: dict, wildcards=None) -> dict:
    """The claims rule's params: each claim's text, evaluate function and options, the family
    size and the config hash (a params function: Snakemake passes the wildcards, unused)."""
    family = family_size(cfg)
    claims = [{"id": c.id, "stage": stage.name, "statement": c.statement, "source": c.source,
               "prediction": c.prediction, "control": c.control, "calibration": c.calibration,
               "evaluate": c.evaluate, "figure": c.figure, "deterministic": c.deterministic,
               "options": _options(cfg, c, family)} for c in stage.claims]
    return {"claims": claims, "family": family, "config_hash": config_hash(cfg, stage.name)}


def check(cfg: dict) -> list[str]:
    """Claim ids are unique and ``<stage>.<snake_case>`` of their own stage."""
    out, seen = [], set()
    for stage in _stages():
        for c in stage.claims:
            if not c.id.startswith(stage.name + ".") or c.id in seen:
                out.append(f"claim {c.id!r} of stage {stage.name!r}: ids are unique and start "
                           f"with '{stage.name}.'")
            seen.add(c.id)
    return out


def _claims_cost(cfg: dict, **wildcards) -> Cost:
    return Cost(unit("small_job"), "claims", "table reads and seed bootstraps")


def generated_jobs(stages) -> dict[str, Job]:
    """The job models of the generated claims rules (workflow/rules/claims.smk): one per
    stage that declares claims, and the merge."""
    out = {f"claims_{s.name}": Job(
        outputs={"table": STAGE_TABLE.format(stage=s.name)}, cost=_claims_cost,
        inputs=lambda cfg, results, _s=s, **wc: stage_inputs(_s, cfg, results))
        for s in stages if s.claims}
    out["claims_merge"] = Job(
        outputs={"table": MERGED, "page": PAGE}, cost=_claims_cost,
        inputs=lambda cfg, results, **wc: {"tables": [stage_table(results, s.name)
                                                      for s in claiming_stages(cfg)]})
    return out


STAGE = Stage(name="claims", targets=targets, check=check)
