"""Stages keep to themselves (``Stage.needs``): with one stage enabled, and the stages it
needs with that config, Snakemake plans only those stages' rules; enabling a stage whose
need is off is one config error, before any job, naming both stages and the key."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from easy2hard.pipeline import config as e2h_config
from easy2hard.pipeline import plan
from easy2hard.pipeline.job_times import stage_of

from .conftest import REPO, snakemake, stages_alone

DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
_JOB_COUNT = re.compile(r"^(\w+)\s+(\d+)$")


def planned_rules(workdir, cfg: dict) -> set[str]:
    """The rules of a dry run's job-count table."""
    proc = snakemake(workdir, cfg, "-n", "--quiet", "rules", timeout=300)
    rules = {m.group(1) for line in proc.stdout.splitlines() if (m := _JOB_COUNT.match(line))}
    return rules - {"total"}


@pytest.fixture(scope="module")
def dry_runs(tmp_path_factory) -> dict[str, tuple[list[str], set[str]]]:
    """{stage: (the enabled stages, the rules a dry run of the default config plans)} with
    each stage alone and its needs; two dry runs at a time."""
    def one(name: str):
        cfg = stages_alone(name)
        on = [s.name for s in plan.enabled_stages(cfg)]
        return name, (on, planned_rules(tmp_path_factory.mktemp(f"alone_{name}"), cfg))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, [s.name for s in plan.STAGES]))


@pytest.mark.parametrize("name", [s.name for s in plan.STAGES])
def test_a_stage_alone_plans_only_its_rules_and_its_needs(dry_runs, name):
    on, rules = dry_runs[name]
    assert name in on and "all" in rules
    strangers = {rule: stage_of(rule, plan.STAGES) for rule in rules - {"all"}
                 if stage_of(rule, plan.STAGES) not in on}
    assert not strangers, f"{name} with {on} plans rules of other stages: {strangers}"


def test_each_stage_plans_jobs_alone(dry_runs):
    """The dry runs see work: every stage but the claims (no claiming stage on) plans a job
    of its own rules."""
    idle = [name for name, (on, rules) in dry_runs.items()
            if name != "claims" and not any(stage_of(r, plan.STAGES) == name for r in rules)]
    assert not idle


def _only(*names: str) -> dict:
    """The default config with exactly ``names`` enabled."""
    return {**DEFAULT, **{s.name: {**DEFAULT[s.name], "enabled": s.name in names}
                          for s in plan.STAGES}}


@pytest.mark.parametrize("name, need, key", [
    ("fourier", "images", "fourier.clones"),
    ("images", "fourier", "unet.runs.small.evaluation.sets"),
    ("linear", "images", "linear.targets"),
    ("mcm", "theory", "mcm.figures.mcm_overlap_vs_n"),
    ("report", "theory", "report.tables"),
])
def test_enabling_a_stage_whose_need_is_off_is_one_error(name, need, key):
    with pytest.raises(e2h_config.ConfigError) as err:
        e2h_config.validate(_only(name))
    problems = [p for p in str(err.value).splitlines()[1:] if f"needs stage {need}" in p]
    assert len(problems) == 1, str(err.value)
    assert f"config key '{key}': stage {name} needs stage {need}" in problems[0]
    assert f"{need}.enabled" in problems[0]


def test_a_need_follows_the_config():
    """Without the keys that ask for another stage, the stage runs alone: the synthetic
    Fourier sweeps, the MCM figures without theory curves."""
    cfg = _only("fourier")
    cfg["fourier"] = {**cfg["fourier"], "clones": []}
    assert plan.final_output(e2h_config.validate(cfg))
    cfg = _only("mcm")
    cfg["mcm"] = {**cfg["mcm"], "figures": {"mcm_projection": cfg["mcm"]["figures"]["mcm_projection"]}}
    assert plan.with_needs(e2h_config.validate(cfg), ["mcm"]) == ["mcm"]


def test_the_images_checks_run_when_fourier_asks_for_its_runs():
    """A U-Net whose poolings do not fit the image is rejected whenever its run is planned:
    with fourier on, its need (images) is on and checked."""
    cfg = _only("fourier", "images")
    run = dict(cfg["unet"]["runs"]["small"])
    run["model"] = {**run["model"], "depth": 6}
    cfg["unet"] = {**cfg["unet"], "runs": {"small": run}}
    with pytest.raises(e2h_config.ConfigError, match="unet.runs.small.model.depth"):
        e2h_config.validate(cfg)
