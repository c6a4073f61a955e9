"""The workflow runs through SLURM (snakemake-executor-plugin-slurm) on a real cluster.

A single-node cluster is started from Debian's packages (tests/slurm_cluster.py); a tiny
MCM config runs with ``--workflow-profile profiles/slurm --executor slurm``; every sweep
cell must have run inside a SLURM job and its table must equal a local run's. Needs root
and apt-get (as on CI); skipped with the reason otherwise. Set E2H_REQUIRE_SLURM=1 to turn
a failed package install into a failure instead of a skip.
"""

from __future__ import annotations

import os
import re

import pandas as pd
import pytest

from . import slurm_cluster
from .conftest import REPO, snakemake, tiny_config, tiny_mcm_sweep

pytestmark = pytest.mark.slurm

SLURM_ARGS = [
    "--workflow-profile", str(REPO / "profiles" / "slurm"),
    "--executor", "slurm",
    "--jobs", "4",
    "--cores", "2",  # group jobs never ask for more CPUs than the test node has
    "--slurm-status-command", "squeue",  # no accounting database: sacct cannot answer
    "--slurm-init-seconds-before-status-checks", "1",
    "--seconds-between-status-checks", "1",
    "--slurm-keep-successful-logs",
    "--latency-wait", "5",
    "--retries", "0",
]


def _config():
    cfg = tiny_config(datasets={"build": []})
    cfg["mcm"]["sweeps"] = {"cov": tiny_mcm_sweep(beta_u=[4.0], beta_v=[0.0]),
                            "cum": tiny_mcm_sweep()}
    cfg["mcm"]["figures"] = {"mcm_projection": {"sweeps": ["cum"]}}
    return cfg


TABLES = [f"results/mcm/{s}/N{N}.parquet" for s in ("cov", "cum") for N in (8, 12)]
FIGURE = "results/figures/mcm_projection.png"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    reason = slurm_cluster.unavailable_reason()
    if reason:
        pytest.skip(reason)
    try:
        slurm_cluster.install()
    except Exception as exc:  # no network, broken mirror
        if os.environ.get("E2H_REQUIRE_SLURM") == "1":
            raise
        pytest.skip(f"could not install SLURM from Debian packages: {exc}")
    c = slurm_cluster.SlurmCluster(tmp_path_factory.mktemp("slurm"))
    c.start()
    try:
        yield c
    finally:
        c.stop()
        assert not any(c.alive().values()), f"SLURM daemons left running: {c.alive()}"


def test_workflow_runs_under_slurm_and_matches_local(cluster, tmp_path, monkeypatch):
    local, remote = tmp_path / "local", tmp_path / "slurm"
    snakemake(local, _config(), *TABLES, timeout=600)

    monkeypatch.setenv("E2H_SLURM_PARTITION", slurm_cluster.PARTITION)
    monkeypatch.setenv("E2H_SLURM_ACCOUNT", "")
    proc = snakemake(remote, _config(), *SLURM_ARGS, *TABLES, FIGURE, check=False,
                     timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{out[-6000:]}\n{cluster.diagnostics()}"

    # every submitted job has a SLURM job id, and its SLURM log names the outputs it built
    submitted = dict(re.findall(r"submitted with SLURM jobid (\d+) \(log: (\S+?)\)", out))
    assert submitted, f"no SLURM submissions in the snakemake output:\n{out[-4000:]}"
    built_by = {}
    for jobid, log in submitted.items():
        text = open(log).read()
        for table in TABLES:
            if f"output: {table}" in text:
                built_by.setdefault(table, set()).add(jobid)
        assert FIGURE not in text, f"figure rule ran inside SLURM job {jobid}, not locally"
    missing = [t for t in TABLES if t not in built_by]
    assert not missing, f"tables not built inside a SLURM job: {missing}\n{out[-4000:]}"
    # grouping: the four sweep cells share one SLURM job (profiles/slurm groups them)
    assert len(submitted) < len(TABLES), f"cells were not grouped: {submitted}"
    assert (remote / FIGURE).stat().st_size > 0

    for table in TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(remote / table),
                                      pd.read_parquet(local / table), check_exact=True)
    assert not cluster.queue(), f"jobs left in the queue: {cluster.queue()}"
