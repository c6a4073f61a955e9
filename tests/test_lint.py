"""Snakemake's linter is clean and every Snakefile is formatted with snakefmt (as in CI)."""

import subprocess
import sys
from pathlib import Path

from .conftest import REPO

BIN = Path(sys.executable).parent
SNAKEFILES = [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk"))]


def test_snakemake_lint_is_clean():
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "--directory",
                           str(REPO)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"snakemake --lint:\n{proc.stdout}\n{proc.stderr}"


def test_snakefmt_check_passes():
    bad = []
    for f in SNAKEFILES:
        proc = subprocess.run([str(BIN / "snakefmt"), "--check", str(f)], capture_output=True,
                              text=True, timeout=120)
        if proc.returncode != 0:
            bad.append(f.relative_to(REPO).as_posix())
    assert not bad, f"not formatted with snakefmt (run `make format`): {bad}"
