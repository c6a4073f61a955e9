"""Faults lose nothing: killed jobs, truncated files, reruns, bad file names, unsafe loads."""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from easy2hard.core import tables

from .conftest import REPO, output_patterns, snakemake, tiny_config, tiny_mcm_sweep

CODE_DIRS = ("easy2hard", "workflow", "tests", "benchmarks", "scripts")


def _mcm_config(**sweeps):
    cfg = tiny_config(datasets={"build": []})
    cfg["mcm"]["sweeps"] = sweeps
    cfg["mcm"]["figures"] = {"mcm_projection": {"sweeps": [next(iter(sweeps))]}}
    return cfg


# ------------------------------------------------------------------ killed jobs
def test_sigkill_during_sweep_redoes_only_that_job(tmp_path):
    """SIGKILL snakemake and its running sweep job; the rerun plans and runs only it."""
    cfg = _mcm_config(quick=tiny_mcm_sweep(N=[8]),
                      slow=tiny_mcm_sweep(N=[8], n_max={"coef": 20000, "power": 1},
                                          engine="full"))  # the full engine: minutes
    quick, slow = "results/mcm/quick/N8.parquet", "results/mcm/slow/N8.parquet"
    snakemake(tmp_path, cfg, quick)
    quick_mtime = (tmp_path / quick).stat().st_mtime_ns

    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory",
           str(tmp_path), "--configfile", str(tmp_path / "config.yaml"), "--cores", "1", slow]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    log = tmp_path / "results/logs/mcm/slow/N8.log"
    try:
        deadline = time.monotonic() + 300
        while not (log.exists() and "engine" in log.read_text()):
            assert proc.poll() is None, "snakemake ended before the sweep job started"
            assert time.monotonic() < deadline, "sweep job did not start in 300 s"
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)  # snakemake and the job: a node crash
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    assert not (tmp_path / slow).exists(), "a killed job left its output in place"

    plan = snakemake(tmp_path, cfg, quick, slow, "-n").stdout
    assert _job_count(plan, "mcm_sweep_cell") == 1, plan
    snakemake(tmp_path, cfg, "--unlock")  # a crashed snakemake leaves its lock (README)
    snakemake(tmp_path, cfg, quick, slow)
    assert (tmp_path / quick).stat().st_mtime_ns == quick_mtime, "the finished job was redone"
    assert len(tables.read_parquet(tmp_path / slow)) > 0


def _job_count(plan: str, rule: str) -> int:
    for line in plan.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == rule and parts[1].isdigit():
            return int(parts[1])
    return 0


@pytest.mark.parametrize("writer, ext", [
    (lambda p: tables.write_parquet(pd.DataFrame({"n": np.arange(10**5)}), p), "parquet"),
    (lambda p: tables.write_npy(np.zeros(10**6), p), "npy"),
    (lambda p: tables.save_torch({"w": __import__("torch").zeros(10**5)}, p), "pt"),
])
@pytest.mark.parametrize("die_in", ["os.fsync", "os.replace"])
def test_killed_write_leaves_no_file_at_target(tmp_path, writer, ext, die_in):
    """A process SIGKILLed while writing (before or just at the rename) leaves either the
    previous file or nothing at the target, never a truncated one."""
    target = tmp_path / f"out.{ext}"
    src = (f"import os, signal, sys, numpy as np, pandas as pd\n"
           f"from easy2hard.core import tables\n"
           f"def die(*a, **k): os.kill(os.getpid(), signal.SIGKILL)\n"
           f"{die_in} = die\n"
           f"writer = {_WRITERS[ext]}\n"
           f"writer({str(target)!r})\n")
    proc = subprocess.run([sys.executable, "-c", src], cwd=REPO, capture_output=True,
                          timeout=120)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    assert not target.exists()
    writer(target)  # and a normal write does produce it
    assert target.exists()


_WRITERS = {
    "parquet": "lambda p: tables.write_parquet(pd.DataFrame({'n': np.arange(10**5)}), p)",
    "npy": "lambda p: tables.write_npy(np.zeros(10**6), p)",
    "pt": "lambda p: tables.save_torch({'w': __import__('torch').zeros(10**5)}, p)",
}


# ------------------------------------------------------------------ determinism
def test_same_config_gives_byte_identical_parquet(tmp_path):
    cfg = _mcm_config(cov=tiny_mcm_sweep(beta_u=[4.0], beta_v=[0.0]), cum=tiny_mcm_sweep())
    cfg["mcm"]["figures"] = {"mcm_projection": {"sweeps": ["cum"]}}
    other = json.loads(json.dumps(cfg))
    other["mcm"]["sweeps"]["cum"]["seeds"] = [5, 6]
    targets = ["results/mcm/cov/N8.parquet", "results/mcm/cum/N12.parquet",
               "results/mcm/cum/N8.parquet"]
    for run in ("a", "b"):
        snakemake(tmp_path / run, cfg, *targets)
    for t in targets:
        a, b = (tmp_path / "a" / t).read_bytes(), (tmp_path / "b" / t).read_bytes()
        assert a == b, f"{t} differs between two CPU runs of the same config"
    # and the comparison can fail: a different seed gives different bytes
    snakemake(tmp_path / "c", other, targets[2])
    assert (tmp_path / "c" / targets[2]).read_bytes() != (tmp_path / "a" / targets[2]).read_bytes()

    # ---- a truncated input table fails its checksum and is rebuilt before its consumer
    # runs (a table damaged behind its checksum's back: test_faults.py)
    bad = tmp_path / "a" / targets[2]
    good = bad.read_bytes()
    _truncate(bad)
    proc = snakemake(tmp_path / "a", cfg, "results/figures/mcm_projection.png")
    assert "results/mcm/cum/N8.parquet: its bytes do not match its checksum" in proc.stderr
    assert bad.read_bytes() == good


# ------------------------------------------------------------------ corrupt files
def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize("kind", ["parquet", "npy", "ckpt", "split"])
def test_corrupt_file_error_names_the_file(tmp_path, kind):
    import torch

    from easy2hard.images import datasets

    path = tmp_path / f"broken_{kind}.bin"
    if kind == "parquet":
        tables.write_parquet(pd.DataFrame({"n": np.arange(1000)}), path)
        read = tables.read_parquet
    elif kind == "npy":
        tables.write_npy(np.zeros(1000), path)
        read = tables.read_npy
    elif kind == "ckpt":
        tables.save_torch({"w": torch.zeros(1000)}, path)
        read = tables.load_torch
    else:
        tables.write_npy(np.zeros((4, 1, 8, 8), dtype=np.float32), path)
        read = datasets.load_split
    read(path)  # intact: reads
    _truncate(path)
    with pytest.raises(ValueError) as info:
        read(path)
    assert str(path) in str(info.value)


# ------------------------------------------------------------------ wildcards


def test_every_output_wildcard_is_constrained(tmp_path):
    patterns = output_patterns(tmp_path)
    assert "mcm_sweep_cell" in patterns
    loose = {rule: p for rule, ps in patterns.items() for p in ps if ">.+)" in p or ">.*)" in p}
    assert not loose, f"outputs with unconstrained wildcards (default '.+'): {loose}"


@pytest.mark.parametrize("odd", [
    "results/mcm/cum/N8x.parquet", "results/mcm/cum/sub/N8.parquet",
    "results/report/tables/the.ory.html",
])
def test_odd_file_names_match_no_rule(run_workflow, odd):
    proc = run_workflow(_mcm_config(cum=tiny_mcm_sweep()), "-n", odd, check=False)
    assert proc.returncode != 0
    assert "MissingRuleException" in proc.stdout + proc.stderr or \
        "No rule to produce" in proc.stdout + proc.stderr


# ------------------------------------------------------------------ safe loading
def _py_files():
    for d in CODE_DIRS:
        yield from (REPO / d).rglob("*.py")


def test_torch_load_only_with_weights_only():
    bad = []
    for path in _py_files():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "load"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "torch"):
                kw = {k.arg: k.value for k in node.keywords}
                ok = isinstance(kw.get("weights_only"), ast.Constant) and \
                    kw["weights_only"].value is True
                if not ok:
                    bad.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not bad, f"torch.load without weights_only=True: {bad}"


def test_no_pickle_anywhere():
    bad = []  # pipeline code; tests may build foreign fixtures (CIFAR batches are pickles)
    for path in (p for p in _py_files() if p.relative_to(REPO).parts[0] != "tests"):
        text = path.read_text()
        mods = {a.name for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Import)
                for a in n.names}
        mods |= {n.module for n in ast.walk(ast.parse(text)) if isinstance(n, ast.ImportFrom)}
        if "allow_pickle=True" in text or mods & {"pickle", "dill", "cloudpickle"}:
            bad.append(str(path.relative_to(REPO)))
    assert not bad, f"pickle used in: {bad}"
