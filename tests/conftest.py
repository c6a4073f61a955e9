"""Shared fixtures: run the real workflow on tiny configs in a temporary directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


def load_test_config(name: str) -> dict:
    """A tiny config of config/test/ (also runnable by hand with --configfile)."""
    return yaml.safe_load((REPO / "config" / "test" / f"{name}.yaml").read_text())


def tiny_mcm_sweep(**overrides) -> dict:
    """A one-neuron sweep small enough to finish in a second or two (sweep cum of
    config/test/mcm.yaml)."""
    spec = load_test_config("mcm")["mcm"]["sweeps"]["cum"]
    spec.update(overrides)
    return spec


def tiny_config(**sections) -> dict:
    """config/test/mcm.yaml with ``sections`` replacing its top-level sections."""
    cfg = load_test_config("mcm")
    cfg.update(sections)
    return cfg


def snakemake(workdir: Path, config: dict, *args: str, check: bool = True,
              timeout: float = 900) -> subprocess.CompletedProcess:
    """Run the repository's workflow in ``workdir`` with ``config`` as its complete config."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    cfg_path = workdir / "config.yaml"
    cfg_path.write_text(yaml.safe_dump(config))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(cfg_path), "--cores", "2",
           *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture
def run_workflow(tmp_path):
    def _run(config: dict, *args: str, **kw):
        return snakemake(tmp_path, config, *args, **kw)

    _run.workdir = tmp_path
    return _run


_OUTPUT_PATTERNS = """
import json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings
with SnakemakeApi(OutputSettings()) as api:
    wf = api.workflow(resource_settings=ResourceSettings(),
                      config_settings=ConfigSettings(configfiles=[Path(sys.argv[1])]),
                      snakefile=Path(sys.argv[2]), workdir=Path(sys.argv[3]))
    out = {r.name: [o.regex().pattern for o in r.output if o.regex() is not None]
           for r in wf._workflow.rules}
print("PATTERNS" + json.dumps(out))
"""


def output_patterns(workdir: Path, configfile: Path = REPO / "config" / "config.yaml") -> dict:
    """{rule: [regular expression of each output]} of the workflow parsed by Snakemake's API
    (in a fresh process), with the wildcard constraints as Snakemake applies them."""
    import json

    proc = subprocess.run([sys.executable, "-c", _OUTPUT_PATTERNS, str(configfile),
                           str(REPO / "Snakefile"), str(workdir)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.split("PATTERNS", 1)[1])


def stages_alone(*names: str, base: dict | None = None) -> dict:
    """``base`` (default: config/config.yaml) validated with only the stages ``names`` and
    the stages they need with those switches (``plan.with_needs``) enabled."""
    from easy2hard.pipeline import config as e2h_config
    from easy2hard.pipeline import plan

    base = yaml.safe_load((REPO / "config" / "config.yaml").read_text()) if base is None else base
    on, wanted = set(), set(names)
    while on != wanted:
        on = wanted
        raw = {**base, **{s.name: {**base.get(s.name, {}), "enabled": s.name in on}
                          for s in plan.STAGES}}
        wanted = set(plan.with_needs(e2h_config.validate(raw, cross_key=False), on))
    return e2h_config.validate(raw)
