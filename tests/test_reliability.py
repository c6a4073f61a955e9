"""Reliability: key order reruns nothing, nested --config overrides, every
cross-key problem before any job, failed logs in view, conda prerequisites, and outputs
that are readable, reproducible byte for byte and free of leftovers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from easy2hard.core import tables as io

from .conftest import REPO, load_test_config, snakemake
from .test_config import _reversed


def _smk(workdir: Path, configfile: Path, *args: str, env=None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory",
           str(workdir), "--configfile", str(configfile), "--cores", "2", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)


# ------------------------------------------------------------------ 1. key order
@pytest.mark.slow
def test_reordered_config_keys_rerun_nothing(tmp_path):
    """The same config with every mapping's keys in reverse order plans no job (before:
    'params have changed' for every cell and theory table)."""
    cfg = load_test_config("mcm")
    cfg["theory"] = load_test_config("theory")["theory"]
    targets = ["results/mcm/cov/N8.parquet", "results/theory/hermite.parquet"]
    snakemake(tmp_path, cfg, *targets)  # config.yaml written with sorted keys
    other = tmp_path / "reordered.yaml"
    other.write_text(yaml.safe_dump(_reversed(cfg), sort_keys=False))
    assert other.read_text() != (tmp_path / "config.yaml").read_text()
    proc = _smk(tmp_path, other, "-n", *targets)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Nothing to be done" in proc.stdout + proc.stderr, proc.stdout + proc.stderr


# ------------------------------------------------------------------ 4. nested --config
def test_nested_config_override_through_the_workflow(tmp_path):
    """`--config 'theory={kmax: 3}'` sets theory.kmax (before: "'3' is not of type
    'integer'") and keeps the file's other theory keys."""
    cfg = load_test_config("theory")
    proc = snakemake(tmp_path, cfg, "results/theory/hermite.parquet", "--config",
                     "theory={kmax: 3, t: [0.3]}")
    assert proc.returncode == 0
    table = pd.read_parquet(tmp_path / "results/theory/hermite.parquet")
    assert table["k"].max() == 3
    assert set(table["activation"]) == set(cfg["theory"]["activations"])  # kept from the file


# ------------------------------------------------------------------ 2. before any job
def test_cross_key_problem_stops_the_workflow_before_any_job(tmp_path):
    cfg = load_test_config("images")
    cfg["unet"]["runs"]["tiny"]["evaluation"]["fixed_k"] = [5, 50]  # ddpm.T = 50
    proc = snakemake(tmp_path, cfg, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "config key 'unet.runs.tiny.evaluation.fixed_k'" in out and "0 <= k <= 49" in out
    assert not (tmp_path / "results").exists()


# ------------------------------------------------------------------ 7. errors in view
@pytest.mark.parametrize("profile", ["default", "slurm"])
def test_profiles_show_failed_logs(profile):
    text = (REPO / "profiles" / profile / "config.yaml").read_text()
    assert yaml.safe_load(text)["show-failed-logs"] is True


def test_failed_job_prints_its_log(tmp_path):
    """CIFAR-10 absent and downloads off: the job fails, and its log (the file it wants
    and where to put it) is in snakemake's output, not only the log's path."""
    cfg = load_test_config("theory")
    cfg["datasets"] = {"build": ["cifar10"], "cifar10": {"download": False}}
    proc = snakemake(tmp_path, cfg, "results/data/cifar10/manifest.parquet", check=False)
    assert proc.returncode != 0
    assert "CIFAR-10: files missing" in proc.stdout + proc.stderr


# ------------------------------------------------------------------ 9. conda
def _path_without_conda() -> str:
    dirs = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not (Path(d) / "conda").exists()]
    return os.pathsep.join([str(Path(sys.executable).parent), *dirs])


def test_use_conda_without_conda_points_to_the_readme(tmp_path):
    env = {**os.environ, "PATH": _path_without_conda()}
    assert shutil.which("conda", path=env["PATH"]) is None
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump(load_test_config("theory")))
    proc = _smk(tmp_path, cfg, "-n", "--use-conda", env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "docs/running.md, section 'Conda'" in out and "24.7.1" in out


def test_docs_state_snakemakes_minimum_conda_version():
    from snakemake.deployment.conda import MIN_CONDA_VER

    running = (REPO / "docs" / "running.md").read_text()  # moved from the README
    conda = running.split("\n## Conda\n", 1)[1].split("\n## ", 1)[0]
    assert f"version **{MIN_CONDA_VER} or later**" in conda and "network access" in conda
    assert MIN_CONDA_VER in (REPO / "workflow/rules/common.smk").read_text()
    reliability = (REPO / "docs" / "reliability.md").read_text()  # moved from the README
    for topic in ("kill -9", "corrupt table", "Bad config", "No network", "Key order",
                  "Cost estimate", "Duplicate keys", "Writable output folders", "Progress"):
        assert topic in reliability


# ------------------------------------------------------------------ 8 + umask: the writer
@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_outputs_follow_the_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        io.write_parquet(pd.DataFrame({"a": [1]}), tmp_path / "t.parquet")
        io.write_npy(np.zeros(3), tmp_path / "a.npy")
        io.write_text("x", tmp_path / "f.txt")
    finally:
        os.umask(old)
    for name in ("t.parquet", "a.npy", "f.txt"):
        assert (tmp_path / name).stat().st_mode & 0o777 == mode, name


def test_stale_part_files_are_removed_by_the_next_write(tmp_path):
    target = tmp_path / "t.parquet"
    stale = [tmp_path / ".t.parquet.k1ll3d_a.part", tmp_path / ".t.parquet.x9.part"]
    other = tmp_path / ".u.parquet.k1ll3d.part"  # another target's: left alone
    for p in (*stale, other):
        p.write_bytes(b"half a table")
    io.write_parquet(pd.DataFrame({"a": [1]}), target)
    assert not any(p.exists() for p in stale) and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [other.name, "t.parquet",
                                                          "t.parquet.sha256"]


def test_torch_files_are_byte_reproducible(tmp_path):
    import torch

    state = {"w": torch.arange(10.0), "step": 3}
    digest_a = io.save_torch(state, tmp_path / "a.pt")
    io.save_torch(state, tmp_path / "sub" / "b.pt")  # another name and folder
    a, b = (tmp_path / "a.pt").read_bytes(), (tmp_path / "sub" / "b.pt").read_bytes()
    assert a == b
    assert digest_a == io.sha256(tmp_path / "a.pt")
    assert torch.equal(io.load_torch(tmp_path / "a.pt")["w"], state["w"])


def test_figures_are_byte_reproducible(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from easy2hard.pipeline import plotting

    out = []
    for i, epoch in enumerate(("1000000000", "1700000000")):  # two different 'now's
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        fig, ax = plt.subplots()
        ax.plot([0, 1, 4])
        plotting.save_figure(fig, tmp_path / f"{i}.pdf", tmp_path / f"{i}.png")
        out.append(((tmp_path / f"{i}.pdf").read_bytes(), (tmp_path / f"{i}.png").read_bytes()))
    assert out[0] == out[1]
    assert b"CreationDate" not in out[0][0]


def test_make_run_with_a_missing_config_is_one_clear_line(tmp_path):
    """`make run CONFIG=...` checks the file before Snakemake parses it: one line that names
    the file, and no traceback."""
    proc = subprocess.run(["make", "-s", "run", f"CONFIG={tmp_path / 'nope.yaml'}"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    lines = [ln for ln in proc.stdout.splitlines() + proc.stderr.splitlines()
             if ln.strip() and not ln.startswith("make")]
    assert lines == [f"{tmp_path / 'nope.yaml'}: config file {tmp_path / 'nope.yaml'} does not exist"]
