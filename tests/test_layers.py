"""The layering contract of pyproject.toml, checked by import-linter on the real package:
core imports no domain, domains import core but not each other, pipeline sits on top."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import REPO


def _lint_imports() -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("lint-imports")
    cmd = [str(exe)] if exe.exists() else [shutil.which("lint-imports") or "lint-imports"]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_layers_contract_kept():
    proc = _lint_imports()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 kept, 0 broken" in proc.stdout


def test_contract_catches_a_domain_importing_another(tmp_path):
    """The check has power: a copy of the package in which core imports a domain fails."""
    pkg = tmp_path / "easy2hard"
    shutil.copytree(REPO / "easy2hard", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (pkg / "core" / "bad_layering.py").write_text("from easy2hard.mcm import one_neuron  # noqa\n")
    exe = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(exe)], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode != 0
    assert "BROKEN" in proc.stdout.upper() and "easy2hard.core.bad_layering" in proc.stdout
