"""Every stage implements one contract (easy2hard/pipeline/plan/stage.py): a uniform
``<stage>.enabled`` switch, checks that run only when the stage is on, a figure registry
from which every figure rule is generated, and a job table from which every written rule
takes its params."""

import ast
import re
from pathlib import Path

import pytest
import yaml

from easy2hard.pipeline import config as e2h_config
from easy2hard.pipeline import plan
from easy2hard.pipeline.plan.stage import Figure, Stage

from .conftest import REPO, stages_alone

SCRIPTS = REPO / "workflow" / "scripts"
RULES = REPO / "workflow" / "rules"


def _rules() -> dict[str, str]:
    """{rule name: its text up to the next rule} of every rule written in the rule files."""
    out = {}
    for smk in sorted(RULES.glob("*.smk")):
        parts = re.split(r"^rule (\w+):\n", smk.read_text(), flags=re.M)
        out.update(zip(parts[1::2], parts[2::2]))
    return out


def _section(body: str, name: str) -> list[str]:
    """The lines of the ``name:`` section of a rule."""
    match = re.search(rf"^    {name}:\n((?:        .*\n)+)", body, flags=re.M)
    return [ln.strip() for ln in match.group(1).splitlines()] if match else []


def _params_read(script: Path) -> set[str]:
    """The names a script reads from ``snakemake.params`` (directly or through an alias)."""
    tree = ast.parse(script.read_text())
    workflow, params = {"snakemake"}, set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            value, name = node.value, node.targets[0].id
            if isinstance(value, ast.Name) and value.id in workflow:
                workflow.add(name)
            elif (isinstance(value, ast.Attribute) and value.attr == "params"
                  and isinstance(value.value, ast.Name) and value.value.id in workflow):
                params.add(name)

    def is_params(node) -> bool:
        return (isinstance(node, ast.Name) and node.id in params) or (
            isinstance(node, ast.Attribute) and node.attr == "params"
            and isinstance(node.value, ast.Name) and node.value.id in workflow)

    read = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_params(node.value):
            read.add(node.attr)
        elif (isinstance(node, ast.Subscript) and is_params(node.value)
              and isinstance(node.slice, ast.Constant)):
            read.add(node.slice.value)
    return read


def test_stages_are_registered_once_with_a_uniform_switch():
    schema = e2h_config.load_schema()["properties"]
    default = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    names = [stage.name for stage in plan.STAGES]
    assert len(set(names)) == len(names) and all(isinstance(s, Stage) for s in plan.STAGES)
    for name in names:
        enabled = schema[name]["properties"]["enabled"]
        assert enabled["type"] == "boolean" and enabled["default"] is False, name
        assert default[name]["enabled"] is True, f"{name} is off in config/config.yaml"


def _target_stage(path: str) -> str:
    """The stage that asks for a target: a figure's registry, else the first folder under
    results/ (data, clones and unet are the images stage's)."""
    rel = path.removeprefix("results/")
    if rel.startswith("figures/"):
        name = rel.removeprefix("figures/").rsplit(".", 1)[0]
        (owner,) = [stage.name for stage in plan.STAGES for fig in stage.figures
                    if re.fullmatch(re.sub(r"\\\{\w+\\\}", r"\\w+", re.escape(fig.name)), name)]
        return owner
    folder = re.split(r"[/.]", rel)[0]
    return plan.report.FOLDER_STAGES.get(folder, folder)


@pytest.mark.parametrize("name", [stage.name for stage in plan.STAGES])
def test_a_disabled_stage_plans_nothing(name):
    """Each stage alone on, with the stages it needs (tests/test_stage_needs.py runs the dry
    runs): every target belongs to an enabled stage (the Fourier clones and their U-Net
    tracking belong to images, which fourier needs)."""
    cfg = stages_alone(name)
    on = {stage.name for stage in plan.enabled_stages(cfg)}
    strangers = {p: _target_stage(p) for p in plan.final_output(cfg)
                 if _target_stage(p) not in on}
    assert not strangers, f"{name} with {sorted(on)}: {strangers}"


def test_a_disabled_stage_checks_nothing():
    """A stage that is off is not checked (here: a linear figure naming a target that is not
    computed; the linear stage's MLPs read the images stage's natural patches)."""
    bad = {"images": {"enabled": True}, "linear": {"enabled": False, "targets": ["isotropic"],
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


def test_rule_files_read_no_config_key():
    """Only common.smk reads the config (its validation and the results root)."""
    reads = {p.name: p.read_text().count("config[") for p in RULES.glob("*.smk")
             if p.name != "common.smk"}
    assert not {name: n for name, n in reads.items() if n}


def test_every_rule_takes_its_params_from_one_job_table():
    """A written rule with params says only ``**plan.job_params(config, "<its name>")``; the
    job tables name every written rule (with or without params), each in one stage."""
    rules = _rules()
    with_params = {name for name, body in rules.items() if _section(body, "params")}
    bad = {name: _section(rules[name], "params") for name in with_params
           if _section(rules[name], "params") != [f'**plan.job_params(config, "{name}"),']}
    assert not bad
    tables = [rule for stage in plan.STAGES for rule in stage.jobs]
    assert len(tables) == len(set(tables)), "a rule is in two stages' job tables"
    assert with_params <= set(tables) and set(rules) <= set(plan.job_models())


def test_job_params_are_what_the_scripts_read():
    """Each rule's params are exactly the names its script reads (besides the code hash)."""
    cfg = e2h_config.validate(yaml.safe_load((REPO / "config" / "config.yaml").read_text()))
    rules, differ = _rules(), {}
    for stage in plan.STAGES:
        for rule in stage.jobs:
            (script,) = _section(rules[rule], "script")
            read = _params_read(RULES / script.strip('"'))
            sent = set(plan.job_params(cfg, rule))
            if read != sent:
                differ[rule] = {"sent, not read": sent - read, "read, not sent": read - sent}
    assert not differ
