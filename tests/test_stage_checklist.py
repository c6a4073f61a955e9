"""Adding a stage, checked: every stage of ``plan.STAGES`` has each piece of the README's
checklist ("Adding a stage"), and a missing piece is named."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

from easy2hard.pipeline import config as e2h_config
from easy2hard.pipeline import plan
from easy2hard.pipeline.plan.stage import Claim, Figure, Stage

from .conftest import REPO

RULES = REPO / "workflow" / "rules"


def _rules_by_file() -> dict[str, set[str]]:
    """{rule file name: the rules written in it}."""
    return {p.name: set(re.findall(r"^rule (\w+):", p.read_text(), flags=re.M))
            for p in sorted(RULES.glob("*.smk"))}


def rule_files(stage: Stage) -> list[str]:
    """The stage's rule files: ``<name>.smk`` and every file that writes a rule of its job
    table (the images stage's: data, clones, unet)."""
    by_file = _rules_by_file()
    return sorted({f for f, rules in by_file.items() if rules & set(stage.jobs)}
                  | ({f"{stage.name}.smk"} & set(by_file)))


def _test_configs_enabling(name: str) -> list[str]:
    return [p.name for p in sorted((REPO / "config" / "test").glob("*.yaml"))
            if ((yaml.safe_load(p.read_text()) or {}).get(name) or {}).get("enabled")]


def _layer_packages() -> set[str]:
    """The packages named in the import-linter layers contract (pyproject.toml)."""
    tool = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = [layer for contract in tool["contracts"] for layer in contract.get("layers", [])]
    return {name.strip() for layer in layers for name in layer.split("|")}


def _domain(module: str) -> str:
    """``easy2hard.<domain>`` of a module path."""
    return ".".join(module.split(".")[:2])


def missing_pieces(stage: Stage) -> list[str]:
    """Each piece of the checklist this stage lacks, named with the file it belongs in."""
    name, out = stage.name, []
    files = rule_files(stage)
    written = set().union(*(_rules_by_file()[f] for f in files)) if files else set()
    snakefile = (REPO / "Snakefile").read_text()
    if not files:
        out.append(f"{name}: no rule file (workflow/rules/{name}.smk)")
    out += [f"{name}: rule file {f} is not included in the Snakefile" for f in files
            if f'include: "workflow/rules/{f}"' not in snakefile]
    out += [f"{name}: rule {rule} of the job table is written in none of its rule files {files}"
            for rule in stage.jobs if rule not in written]
    if not (REPO / "easy2hard" / "pipeline" / "plan" / f"{name}.py").is_file():
        out.append(f"{name}: no plan module easy2hard/pipeline/plan/{name}.py")
    block = e2h_config.load_schema()["properties"].get(name, {})
    if "enabled" not in block.get("properties", {}):
        out.append(f"{name}: no schema block with 'enabled' (config/schema.yaml, {name}:)")
    if not _test_configs_enabling(name):
        out.append(f"{name}: no test config enabling it (config/test/{name}.yaml)")
    if not any((REPO / "docs" / d / f"{name}.md").is_file() for d in ("stages", ".")):
        out.append(f"{name}: no docs page (docs/stages/{name}.md)")
    out += [f"{name}: figure {fig.name} has no report caption workflow/report/{fig.caption_file}.rst"
            for fig in stage.figures
            if not (REPO / "workflow" / "report" / f"{fig.caption_file}.rst").is_file()]
    layers = _layer_packages()
    domains = {_domain(fig.module) for fig in stage.figures} | {_domain(c.module) for c in stage.claims}
    if (REPO / "easy2hard" / name).is_dir():
        domains.add(f"easy2hard.{name}")
    out += [f"{name}: package {d} is in no layer of the import-linter contract (pyproject.toml)"
            for d in sorted(domains - layers)]
    out += [f"{name}: claim {c.id} is not decided in its domain's claims module "
            f"(easy2hard/<domain>/claims.py): {c.evaluate}"
            for c in stage.claims if not c.module.endswith(".claims") or not
            (REPO / (c.module.replace(".", "/") + ".py")).is_file()]
    return out


@pytest.mark.parametrize("stage", plan.STAGES, ids=lambda s: s.name)
def test_every_stage_has_every_piece_of_the_checklist(stage):
    assert not missing_pieces(stage)


def test_a_stage_missing_its_pieces_is_named_piece_by_piece():
    """A stage registered in plan.STAGES and nowhere else: every piece is reported."""
    fake = Stage(name="fake_stage", targets=lambda cfg, results: [],
                 jobs={"fake_stage_cell": lambda cfg: {}},
                 figures=(Figure("fake_figure", "easy2hard.fake_stage.plots:draw",
                                 lambda cfg, results: {}, category="Fake"),),
                 claims=(Claim("fake_stage.x", "s", "s", "p", "c", "c",
                               "easy2hard.fake_stage.checks:x", lambda cfg, results: {}),))
    text = "\n".join(missing_pieces(fake))
    for piece in ("no rule file (workflow/rules/fake_stage.smk)",
                  "rule fake_stage_cell of the job table is written in none",
                  "no plan module easy2hard/pipeline/plan/fake_stage.py",
                  "no schema block", "no test config enabling it (config/test/fake_stage.yaml)",
                  "no docs page (docs/stages/fake_stage.md)",
                  "no report caption workflow/report/fake_figure.rst",
                  "package easy2hard.fake_stage is in no layer",
                  "claim fake_stage.x is not decided in its domain's claims module"):
        assert piece in text, piece


def test_a_rule_file_left_out_of_the_snakefile_is_named(monkeypatch):
    """The include check reads the Snakefile: without the theory include it names it."""
    real = REPO / "Snakefile"
    text = real.read_text().replace('include: "workflow/rules/theory.smk"\n', "")
    original = type(real).read_text

    def read_text(path, *args, **kwargs):
        return text if path == real else original(path, *args, **kwargs)

    monkeypatch.setattr(type(real), "read_text", read_text)
    theory = next(s for s in plan.STAGES if s.name == "theory")
    assert missing_pieces(theory) == ["theory: rule file theory.smk is not included in the Snakefile"]
