"""Stale tables are found without Snakemake's metadata: each table's sidecar records the
params digest and code hash of the job that made it, and a run in a copy of ``results/``
without ``.snakemake/`` reruns exactly the tables whose job changed, and what reads them
(easy2hard.pipeline.stale, docs/reliability.md)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from easy2hard.core import tables as io

from .conftest import load_test_config, snakemake

COV = ["results/mcm/cov/N8.parquet", "results/mcm/cov/N12.parquet",
       "results/theory/sweeps/cov.parquet", "results/theory/dynamics/cov.parquet"]
CUM = [name.replace("cov", "cum") for name in COV]


def _config() -> dict:
    return load_test_config("mcm")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """One run of config/test/mcm.yaml (with the theory stage its figures need): its folder
    and config."""
    first = tmp_path_factory.mktemp("first")
    cfg = _config()
    snakemake(first, cfg)
    return first, cfg


def _copy_of_results(made, tmp_path: Path) -> Path:
    """A new working directory holding a copy of the run's results/ (times kept), and no
    .snakemake/: a fresh clone given someone's results."""
    shutil.copytree(made[0] / "results", tmp_path / "results")
    assert not (tmp_path / ".snakemake").exists()
    return tmp_path


def _planned(proc) -> set[str]:
    """The outputs of every job a dry run plans."""
    return {f for line in re.findall(r"^\s+output: (.+)$", proc.stdout + proc.stderr, re.M)
            for f in line.split(", ")}


def _reported(proc, what: str) -> set[str]:
    """The tables the start-up check reports as made with other ``what``."""
    return set(re.findall(rf"^(\S+\.parquet): made with other {what}", proc.stderr, re.M))


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_sidecars_record_params_and_code(made):
    sidecar = io.sidecar_path(made[0] / COV[0]).read_text()
    assert re.search(r"^# rule: mcm_sweep_cell$", sidecar, re.M), sidecar
    assert re.search(r"^# params: [0-9a-f]{16}$", sidecar, re.M), sidecar
    assert re.search(r"^# code: [0-9a-f]{16}$", sidecar, re.M), sidecar


def test_copied_results_with_the_same_config_rerun_nothing(made, tmp_path):
    work = _copy_of_results(made, tmp_path)
    proc = snakemake(work, made[1], "-n")
    assert not _planned(proc) and "made with other" not in proc.stderr, proc.stdout + proc.stderr


def test_config_change_reruns_exactly_the_changed_tables_without_metadata(made, tmp_path):
    """Sweep cov's t changes: its cells, k* and overlap-SDE tables are reported, and the run
    makes them again with what reads them; sweep cum's tables are kept. A dry run reports
    the same tables and removes nothing (before: "Nothing to be done", silently stale)."""
    work = _copy_of_results(made, tmp_path)
    cfg = _config()
    cfg["mcm"]["sweeps"]["cov"]["t"] = [0.4]
    before = _snapshot(work / "results")
    dry = snakemake(work, cfg, "-n")
    assert _snapshot(work / "results") == before
    # the mcm claims record the stage's config hash among their params: they are stale too
    stale = set(COV) | {"results/claims/mcm.parquet"}
    assert _reported(dry, "params") == stale and "nothing removed" in dry.stderr, dry.stderr
    cum = {name: (work / name).stat().st_mtime_ns for name in CUM}
    run = snakemake(work, cfg)
    assert _reported(run, "params") == stale, run.stderr
    assert set(COV) <= _planned(run) and not set(CUM) & _planned(run), run.stdout
    assert {name: (work / name).stat().st_mtime_ns for name in CUM} == cum
    again = snakemake(work, cfg, "-n")
    assert not _planned(again) and "made with other" not in again.stderr, again.stderr
    log = (work / "results/logs/theory/dynamics/cov.log").read_text()
    assert re.search(r"progress \d+/\d+ SDE paths", log), log


def test_code_change_recorded_in_a_sidecar_is_reported(made, tmp_path):
    """A table whose sidecar records another code hash than its job has now is reported
    (and, in a run, removed and made again like a params change)."""
    work = _copy_of_results(made, tmp_path)
    sidecar = io.sidecar_path(work / CUM[0])
    sidecar.write_text(re.sub(r"^# code: \w+$", "# code: 0000000000000000",
                              sidecar.read_text(), flags=re.M))
    dry = snakemake(work, made[1], "-n")
    assert _reported(dry, "code") == {CUM[0]} and not _reported(dry, "params"), dry.stderr
    assert f"{CUM[0]}: made with other code than its rule mcm_sweep_cell" in dry.stderr


@pytest.mark.parametrize("option", [["--report", "results/report.html"], ["--lint"],
                                    ["--list-rules"]])
def test_read_only_commands_remove_no_stale_table(made, tmp_path, option):
    """``snakemake --report`` (as ``make report`` runs it), ``--lint`` and ``--list-rules``
    run no job, so they remove no stale table (before: a report of a changed config removed
    every stale table of the results root, and ``make report`` from the repository emptied
    its results/ of them)."""
    work = _copy_of_results(made, tmp_path)
    cfg = _config()
    cfg["mcm"]["sweeps"]["cov"]["t"] = [0.4]
    before = {k: v for k, v in _snapshot(work / "results").items() if k.endswith(".parquet")}
    snakemake(work, cfg, *option, check=False)
    after = {k: v for k, v in _snapshot(work / "results").items() if k.endswith(".parquet")}
    assert after == before
