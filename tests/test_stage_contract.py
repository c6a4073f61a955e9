"""Every stage implements one contract (easy2hard/pipeline/plan/stage.py): a uniform
``<stage>.enabled`` switch, checks that run only when the stage is on, and a figure registry
from which every figure rule is generated."""

import re

import pytest
import yaml

from easy2hard.pipeline import config as e2h_config
from easy2hard.pipeline import plan
from easy2hard.pipeline.plan.stage import Figure, Stage

from .conftest import REPO

SCRIPTS = REPO / "workflow" / "scripts"


def test_stages_are_registered_once_with_a_uniform_switch():
    schema = e2h_config.load_schema()["properties"]
    default = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    names = [stage.name for stage in plan.STAGES]
    assert len(set(names)) == len(names) and all(isinstance(s, Stage) for s in plan.STAGES)
    for name in names:
        enabled = schema[name]["properties"]["enabled"]
        assert enabled["type"] == "boolean" and enabled["default"] is False, name
        assert default[name]["enabled"] is True, f"{name} is off in config/config.yaml"


def test_a_disabled_stage_plans_nothing_and_checks_nothing():
    """Each stage alone on: the others contribute no target; a stage that is off is not
    checked (here: a linear figure naming a target that is not computed)."""
    cfg = e2h_config.validate({"theory": {"enabled": True}})
    assert plan.final_output(cfg) and all(p.startswith("results/theory/") or
                                          p.startswith("results/figures/")
                                          for p in plan.final_output(cfg))
    bad = {"linear": {"enabled": False, "targets": ["isotropic"],
                      "figures": {"regularisation": {"target": "power_law", "d": 16}}}}
    e2h_config.validate(bad)  # off: not checked
    bad["linear"]["enabled"] = True
    with pytest.raises(e2h_config.ConfigError, match="linear.figures.regularisation"):
        e2h_config.validate(bad)


def test_every_figure_is_registered_and_drawable():
    figures = [fig for stage in plan.STAGES for fig in stage.figures]
    rules = [fig.rule for fig in figures]
    assert len(set(rules)) == len(rules), "two figures share a rule name"
    for fig in figures:
        assert isinstance(fig, Figure) and callable(fig.function()), fig.draw
        assert (REPO / "workflow" / "report" / f"{fig.caption_file}.rst").is_file(), fig.name
        assert fig.function().__doc__, f"{fig.draw} has no docstring (it explains the rule)"


def test_no_figure_rule_is_written_by_hand():
    hand = [f"{p.name}: {m}" for p in (REPO / "workflow" / "rules").glob("*.smk")
            for m in re.findall(r"^rule (figure_\w+)", p.read_text(), flags=re.M)]
    assert not hand
    assert not sorted(p.name for p in SCRIPTS.glob("figure_*.py"))


def test_scripts_are_thin():
    """A script reads inputs and params, calls one library entry point and writes: at most
    40 lines of code (blank lines and comments not counted)."""
    long = {}
    for path in SCRIPTS.glob("*.py"):
        code = [ln for ln in path.read_text().splitlines()
                if ln.strip() and not ln.strip().startswith("#")]
        if len(code) > 40:
            long[path.name] = len(code)
    assert not long
