"""Reliability of the config's roots and numbers: a results root inside the working
directory unless told otherwise and never a project folder, checksum scans and writability
checks limited to what the rules make (a dry run deletes nothing), kept figures per results
root and run (copied across filesystems), finite numbers and seeds that fit the generators,
one-line `make report` errors and a size warning (docs/reliability.md)."""

from __future__ import annotations

import copy
import math
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from easy2hard.core import tables as io
from easy2hard.pipeline import config, integrity

from .conftest import REPO, load_test_config, snakemake


def _problems(cfg: dict) -> str:
    with pytest.raises(config.ConfigError) as info:
        config.validate(cfg)
    return str(info.value)


def _mcm(**sweep) -> dict:
    cfg = load_test_config("mcm")
    cfg["mcm"]["sweeps"]["cum"].update(sweep)
    return cfg


# ------------------------------------------------------------------ finite numbers
@pytest.mark.parametrize("change, key", [
    (dict(lr={"coef": math.nan, "power": 0, "ref_N": 32}), "mcm.sweeps.cum.lr.coef"),
    (dict(n_max={"coef": math.inf, "power": 1}), "mcm.sweeps.cum.n_max.coef"),
    (dict(t=[math.nan]), "mcm.sweeps.cum.t[0]"),
    (dict(beta_v=[math.nan]), "mcm.sweeps.cum.beta_v[0]"),  # .inf allowed there, NaN not
])
def test_nan_and_infinity_are_rejected_naming_the_key(change, key):
    """Before: NaN passed every range check (42 NaN cells per table, valid checksums)."""
    assert f"config key '{key}': " in _problems(_mcm(**change))


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_cost_limit_must_be_finite(value):
    """Before: cost.max_job_hours .nan or .inf accepted a 3-year job."""
    cfg = {**load_test_config("mcm"), "cost": {"max_job_hours": value}}
    assert "config key 'cost.max_job_hours': " in _problems(cfg)


def test_infinity_only_where_the_schema_says_so():
    """Every .inf default is on a key marked x-infinite, and .inf there is valid."""
    schema = config.load_schema()
    text = (REPO / "config" / "schema.yaml").read_text()
    assert text.count("x-infinite: true") >= 7
    cfg = config.validate(_mcm(beta_v=[0.0, math.inf]))
    assert cfg["mcm"]["sweeps"]["cum"]["beta_v"] == [0.0, math.inf]
    assert config.number_problems(config.validate({}), schema) == []  # the defaults' .inf


@pytest.mark.parametrize("change, key", [
    (dict(n_max={"coef": 1e308, "power": 3}), "mcm.sweeps.cum.n_max"),
    (dict(n_max={"coef": 1.0, "power": 400.0}), "mcm.sweeps.cum.n_max"),
    (dict(lr={"coef": 1.0, "power": -1e6, "ref_N": 1}), "mcm.sweeps.cum.lr"),
])
def test_scaled_budgets_are_checked_before_they_overflow(change, key):
    """Before: n_max.coef 1e308 gave an OverflowError traceback naming no key."""
    msg = _problems(_mcm(**change))
    assert f"config key '{key}': coef * " in msg and "at N = 8" in msg


def test_seeds_fit_the_generators():
    """Before: a seed of 2**64 passed validation and crashed the job. The limit is numpy's
    legacy (and numba's) np.random.seed, the narrowest generator the stages seed."""
    np.random.seed(config.SEED_LIMIT - 1)
    with pytest.raises(ValueError):
        np.random.seed(config.SEED_LIMIT)
    for seeds in ([2**64], [config.SEED_LIMIT]):
        assert "config key 'mcm.sweeps.cum.seeds[0]': seed" in _problems(_mcm(seeds=seeds))
    cfg = load_test_config("mcm")
    cfg["theory"] = {"dynamics": {"seed": 2**63}}
    assert "config key 'theory.dynamics.seed': seed" in _problems(cfg)
    assert config.validate(_mcm(seeds=[config.SEED_LIMIT - 1]))


# ------------------------------------------------------------------ the results root
@pytest.mark.parametrize("results_dir", ["..", "../elsewhere", "a/../../b", "/tmp/e2h-out", "out"])
def test_results_dir_stays_inside_the_working_directory(tmp_path, results_dir):
    """Before: the schema's pattern accepted '..', and a dry run deleted files above the
    repository. 'out' is a symlink to a folder outside."""
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "outside").mkdir()
    (work / "out").symlink_to(tmp_path / "outside")
    cfg = {"results_dir": results_dir}
    (msg,) = config.results_dir_problems(cfg, work)
    assert msg.startswith(f"config key 'results_dir': {results_dir!r} resolves to ")
    assert "outside the working directory" in msg and "results_dir_outside: true" in msg
    told = config.results_dir_problems({**cfg, "results_dir_outside": True}, work)
    assert (told == []) == (results_dir != "..")  # '..' holds the working directory itself
    assert config.results_dir_problems({"results_dir": "results/a"}, work) == []


@pytest.mark.parametrize("folder", config.PROJECT_FOLDERS)
def test_results_dir_is_never_a_project_folder(tmp_path, folder):
    """Resolved against the Snakefile's folder, so --directory elsewhere does not help."""
    assert config.results_dir_problems({"results_dir": f"{folder}/sub"}, REPO)
    outside = {"results_dir": str(REPO / folder), "results_dir_outside": True}
    (msg,) = config.results_dir_problems(outside, tmp_path)
    assert "inside the project's own folder" in msg
    for holder in (".", str(REPO.parent)):  # a root that holds the project
        assert config.results_dir_problems({"results_dir": holder, "results_dir_outside": True},
                                           REPO)


def test_results_dir_outside_through_the_schema(tmp_path):
    assert "config key 'results_dir': '..'" in _problems({"results_dir": ".."})
    cfg = config.validate({"results_dir": str(tmp_path), "results_dir_outside": True})
    assert cfg["results_dir"] == str(tmp_path)


# ------------------------------------------------------------------ scans: only rule outputs
def _table(path: Path, corrupt: bool) -> Path:
    io.write_parquet(pd.DataFrame({"n": np.arange(50)}), path)
    if corrupt:
        path.write_bytes(path.read_bytes()[:40])
    return path


def test_checksum_scan_judges_only_files_a_rule_makes(tmp_path):
    root = str(tmp_path / "results")
    outputs = [re.compile(re.escape(root) + r"/mcm/(?P<sweep>[a-z]+)/N(?P<N>[0-9]+)\.parquet$")]
    made = _table(Path(root) / "mcm/cum/N12.parquet", corrupt=True)
    other = _table(Path(root) / "important.parquet", corrupt=True)  # another project's
    assert integrity.corrupt_tables(root, outputs) == [(made, None)]  # rule unknown
    (line,) = integrity.remove_corrupt_tables(root, outputs, dry_run=True)
    assert "dry run: nothing removed" in line and made.exists()
    integrity.remove_corrupt_tables(root, outputs)
    assert not made.exists() and other.exists() and io.sidecar_path(other).exists()


@pytest.fixture(scope="module")
def dry_run_workdir(tmp_path_factory):
    """A working directory with a corrupt table that a rule makes, a corrupt table no rule
    makes, and a file where a folder deeper than the roots should be; one dry run."""
    work = tmp_path_factory.mktemp("dry")
    made = _table(work / "results/mcm/cum/N12.parquet", corrupt=True)
    foreign = _table(work / "results/important.parquet", corrupt=True)
    proc = snakemake(work, load_test_config("mcm"), "-n", check=False)
    (work / "results/mcm/cov").write_text("a file where a folder of outputs should be")
    blocked = snakemake(work, load_test_config("mcm"), "-n", check=False)
    return work, made, foreign, proc, blocked


@pytest.mark.slow
def test_dry_run_reports_corrupt_tables_and_deletes_nothing(dry_run_workdir):
    """Before: `snakemake -n` deleted corrupt tables (and any *.sha256-checked file under
    the root) while saying 'this run makes it again'."""
    work, made, foreign, proc, _ = dry_run_workdir
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert f"{made.relative_to(work)}: its bytes do not match" in proc.stderr
    assert "dry run: nothing removed" in proc.stderr and "important.parquet" not in proc.stderr
    assert made.exists() and foreign.exists() and io.sidecar_path(foreign).exists()


@pytest.mark.slow
def test_deeper_output_folder_is_checked_before_any_job(dry_run_workdir):
    """Before: only the roots and the folders directly under them were checked, and a bad
    folder deeper down was a traceback after a job ran."""
    work, *_, blocked = dry_run_workdir
    assert blocked.returncode != 0
    out = blocked.stdout + blocked.stderr
    assert (f"output folder {work / 'results/mcm/cov'} is not writable by this user "
            f"(not a folder)" in out), out[-2000:]


def test_every_output_folder_at_any_depth_is_judged(tmp_path):
    root = str(tmp_path / "r")
    outputs = [re.compile(re.escape(root) + r"/a/b/(?P<x>[a-z])\.parquet$")]
    _table(Path(root) / "a/b/x.parquet", corrupt=False)
    (Path(root) / "c").write_text("not a folder")
    folders = integrity.output_folders(root, outputs, [f"{root}/c/d/e.png", f"{root}/new/f.png"])
    assert folders == sorted([Path(root) / "a/b", Path(root) / "c", Path(root)])
    (line,) = integrity.unwritable_folders(folders)
    assert line.startswith(f"output folder {root}/c is not writable by this user (not a folder)")


# ------------------------------------------------------------------ kept figures
def _figures(folder: Path, **files: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / f"{name}.png").write_bytes(data)
    return folder


def test_kept_figures_belong_to_one_results_root_and_run(tmp_path):
    """Before: one shared .snakemake/easy2hard/kept_figures, which another config's run
    replaced, so a failed run 'put back' the other config's figures and lost its own."""
    figs_a = _figures(tmp_path / "results/figures", proj=b"A proj", over=b"A over")
    figs_b = _figures(tmp_path / "results-b/figures", thresh=b"B thresh")
    keep_a = integrity.kept_dir(tmp_path / "results", "run1")
    keep_b = integrity.kept_dir(tmp_path / "results-b", "run1")
    keep_a2 = integrity.kept_dir(tmp_path / "results", "run2")  # a second run of config A
    assert len({keep_a, keep_b, keep_a2}) == 3 and keep_a.parent == tmp_path / "results/.kept"
    assert integrity.keep_figures(figs_a, keep_a) == 2
    assert integrity.keep_figures(figs_b, keep_b) == 1  # config B starts while A runs
    (figs_a / "over.png").write_bytes(b"A over, redrawn")  # run2 of A finishes first
    assert integrity.keep_figures(figs_a, keep_a2) == 2
    integrity.discard_kept(keep_a2)
    (figs_a / "proj.png").unlink()  # run1's failed figure job
    assert integrity.restore_figures(figs_a, keep_a) == [figs_a / "proj.png"]
    assert sorted(p.name for p in figs_a.iterdir()) == ["over.png", "proj.png"]
    assert (figs_a / "proj.png").read_bytes() == b"A proj"
    assert (keep_b / "thresh.png").read_bytes() == b"B thresh"  # B's copies untouched


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="needs /dev/shm")
def test_kept_figures_are_copied_across_filesystems(tmp_path):
    """Before: a results root on another filesystem crashed the putting back with EXDEV."""
    import tempfile

    with tempfile.TemporaryDirectory(dir="/dev/shm") as shm:
        figs = _figures(Path(shm) / "figures", a=b"old a")
        if os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
            pytest.skip("/dev/shm is on the same filesystem")
        keep = integrity.kept_dir(tmp_path, "run")
        assert integrity.keep_figures(figs, keep) == 1
        (figs / "a.png").unlink()
        assert integrity.restore_figures(figs, keep) == [figs / "a.png"]
        assert (figs / "a.png").read_bytes() == b"old a" and not keep.exists()
        assert not [p for p in figs.iterdir() if p.name.endswith(".part")]


# ------------------------------------------------------------------ make report, sizes
def _make_report(config_path: str) -> list[str]:
    proc = subprocess.run(["make", "-s", "report", f"CONFIG={config_path}"], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    return [ln for ln in (proc.stdout + proc.stderr).splitlines()
            if ln.strip() and not ln.startswith("make")]


def test_make_report_before_a_run_or_without_a_config_is_one_line(tmp_path):
    """Before: six metadata warnings and 'marked for report but does not exist', and two
    tracebacks for a missing config."""
    missing = tmp_path / "missing.yaml"
    assert _make_report(str(missing)) == [f"{missing}: config file {missing} does not exist"]
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({**load_test_config("mcm"),
                                   "results_dir": f"{REPO.name}-never-run"}))  # never made
    (line,) = _make_report(str(cfg))
    assert line.startswith(f"{cfg}: no report yet: ") and f"make run CONFIG={cfg}" in line
    assert not (REPO / f"{REPO.name}-never-run").exists()


def test_large_dataset_is_named_before_any_job(tmp_path, capsys):
    """Before: 2 million training patches built a 2 GB file 'estimated at 40 s', no word."""
    large = {"datasets": {"natural_patches": {
        "size": 16, "counts": {"train": 2_000_000, "val": 2000, "test": 4000}}}}
    (line,) = integrity.size_warnings(config.validate(large))
    assert line.startswith("warning: dataset natural_patches writes about 2.1 GB")
    assert "DATASET_WARN_BYTES" in line
    assert integrity.size_warnings(config.load(REPO / "config" / "config.yaml")) == []
    path = tmp_path / "large.yaml"
    path.write_text(yaml.safe_dump(large))
    assert config.main([str(path)]) == 0  # the checker (make run CONFIG=...) says it too
    assert line in capsys.readouterr().out
