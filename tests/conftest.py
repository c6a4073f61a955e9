"""Shared fixtures: run the real workflow on tiny configs in a temporary directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


def tiny_mcm_sweep(**overrides) -> dict:
    """A one-neuron sweep small enough to finish in a second or two."""
    spec = {"N": [8, 12], "n_max": {"coef": 20, "power": 1}, "activation": ["sigma_star"],
            "projection": ["sphere"], "t": [0.3], "seeds": [0, 1], "log_points": 5}
    spec.update(overrides)
    return spec


def tiny_config(**sections) -> dict:
    cfg = {"device": "cpu",
           "mcm": {"sweeps": {"cov": tiny_mcm_sweep(beta_u=[4.0], beta_v=[0.0]),
                              "cum": tiny_mcm_sweep()}},
           "figures": {"mcm_overlap_vs_n": {"sweeps": ["cov", "cum"]},
                       "mcm_threshold_scaling": {"sweeps": ["cov", "cum"], "level": 0.3},
                       "mcm_projection": {"sweeps": ["cum"]}}}
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
