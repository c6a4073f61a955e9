"""No dead ends after a fault: a cost estimate and limit before any job, progress lines in
long jobs, corrupt tables rebuilt, kept figures, duplicate YAML keys, empty config files,
unwritable output folders, the config checker's usage text and dotted --config keys
(docs/reliability.md lists each guarantee with its test here)."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from easy2hard.core import tables as io
from easy2hard.core.progress import Progress
from easy2hard.pipeline import config, cost, integrity, plan

from .conftest import REPO, load_test_config, snakemake, tiny_config, tiny_mcm_sweep


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


# ------------------------------------------------------------------ cost estimate
REFERENCE = {"N": [100000], "n_max": {"coef": 0.75, "power": 3}, "activation": ["sigma_star"],
             "beta_u": [0.0], "t": [0.3], "seeds": [0]}


def _mcm_only(**sweeps) -> dict:
    cfg = tiny_config(datasets={"build": []})
    cfg["mcm"]["sweeps"], cfg["mcm"]["figures"] = sweeps, {}
    return cfg


def test_reference_cumulant_sweep_is_refused_before_any_job(tmp_path):
    """The issue's sweep (N = 100 000, n_max = 0.75 N^3: 7.5e14 samples) is refused by
    `snakemake -n` with one line naming the sweep, the N and the estimate (before: planned
    without a word, then years of 'steps')."""
    proc = snakemake(tmp_path, _mcm_only(huge=REFERENCE), "-n", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    line = next(ln for ln in out.splitlines() if "mcm.sweeps.huge" in ln)
    assert "N=100000" in line and "max_job_hours = 24" in line
    assert re.search(r"estimated at [0-9.e+]+ (days|years) of CPU time", line), line
    assert not (tmp_path / "results").exists()


def test_raising_the_limit_accepts_the_job():
    cfg = _mcm_only(huge=REFERENCE)
    with pytest.raises(config.ConfigError, match="mcm.sweeps.huge"):
        config.validate(cfg)
    years = cost.estimate(config.validate({**cfg, "cost": {"max_job_hours": 1e9}}))["mcm"][0]
    assert years.seconds > 86400 * 365


def test_estimate_is_work_times_the_unit_cost():
    """An MCM cell costs runs x n_max samples x the reduced engine's measured unit cost
    (plus the start of a job and of the engine): doubling the seeds or the budget doubles the
    work."""
    spec = {**REFERENCE, "N": [64], "seeds": [0, 1, 2], "n_max": {"coef": 1000, "power": 2}}
    cfg = config.validate(_mcm_only(s=spec))
    (job,) = cost.estimate(cfg)["mcm"]
    start = cost.UNIT_COSTS["job_start"].seconds + cost.UNIT_COSTS["mcm_start"].seconds
    assert job.seconds - start == pytest.approx(3 * 1000 * 64**2 * cost.UNIT_COSTS["mcm_reduced"].seconds)
    cfg2 = config.validate(_mcm_only(s={**spec, "seeds": [0, 1, 2, 3, 4, 5]}))
    assert cost.estimate(cfg2)["mcm"][0].seconds - start == pytest.approx(2 * (job.seconds - start))


def test_every_unit_cost_names_its_measurement():
    """A unit cost cites a benchmark script or a config file that exists, or rules of a
    measured run by name (``rule: N jobs, T s``, each a rule of the job tables)."""

    rules = set(plan.job_models())
    for name, unit in cost.UNIT_COSTS.items():
        assert unit.seconds > 0 and unit.unit, name
        files = re.findall(r"(?:benchmarks|config)/[\w/]+\.(?:py|yaml)", unit.source)
        measured = re.findall(r"(\w+): \d+ jobs?\b[^,;]*, [\d.]+ s", unit.source)
        assert files or measured, name
        assert all((REPO / f).exists() for f in files), (name, files)
        assert set(measured) <= rules, (name, set(measured) - rules)


def test_cost_table_has_one_line_per_enabled_stage():
    cfg = config.load(REPO / "config" / "config.yaml")
    estimates = cost.estimate(cfg)

    enabled = [s.name for s in plan.enabled_stages(cfg)] + ["all"]
    assert list(estimates) == enabled and all(estimates[s] for s in enabled)
    lines = cost.table(estimates).splitlines()
    assert len(lines) == 1 + len(enabled)
    for stage, line in zip(enabled, lines[1:]):
        assert line.split()[0] == stage and "jobs" in line


def test_paper_config_passes_the_default_limit(monkeypatch):
    """config/paper.yaml's CPU jobs fit in 24 h each (its U-Net jobs run on a GPU, when
    there is one: tests/test_cost_device.py)."""
    monkeypatch.setattr(cost, "cuda_present", lambda: True)
    cfg = config.load(REPO / "config" / "paper.yaml")
    estimates = cost.estimate(cfg)  # an estimator that raises fails here, not silently
    assert {s.name for s in plan.enabled_stages(cfg)} <= set(estimates)
    assert all(job.seconds > 0 for name, jobs in estimates.items() if name != "all"
               for job in jobs)


# ------------------------------------------------------------------ progress
class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_lines_every_interval_with_rate_and_eta(caplog):
    clock, log = FakeClock(), logging.getLogger("test.progress")
    progress = Progress(1000, log, what="samples", every=10.0, clock=clock)
    with caplog.at_level(logging.INFO, logger="test.progress"):
        for second in range(1, 36):  # 20 samples per second
            clock.now = float(second)
            progress.update(20 * second, note=lambda: "loss 0.5")
        progress.finish()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4 and progress.lines == 4  # at 10, 20, 30 s, and the end
    assert lines[0] == ("progress 200/1000 samples (20.0 %), 20 samples/s, elapsed 10 s, "
                        "ETA 40 s, loss 0.5")
    assert lines[-1].startswith("progress 700/1000 samples (70.0 %), 20 samples/s, elapsed 35 s")


def test_progress_rate_counts_only_this_process_when_resumed():
    clock = FakeClock()
    progress = Progress(100, logging.getLogger("x"), start=60, clock=clock)
    clock.now = 4.0
    progress.update(80)
    assert "5 steps/s" in progress.line() and "ETA 4 s" in progress.line()


def _every_call(monkeypatch, module):
    monkeypatch.setattr(module, "Progress", lambda *a, **k: Progress(*a, **{**k, "every": 0.0}))


def test_network_cells_write_progress_lines(monkeypatch, caplog):
    from easy2hard.core import mixed_cumulant as mcm
    from easy2hard.networks import models, training

    cfg = config.validate({"networks": {"sweeps": {"s": {"N": [8], "width": [3], "seeds": [0],
                                                         "steps": 6, "batch": 4}}}})
    spec = cfg["networks"]["sweeps"]["s"]
    source = training.MCMSource(mcm.MCM(N=8, beta_u=0.0, beta_v=float("inf")), [0],
                                spec["spikes"], spec["target"])
    _every_call(monkeypatch, training)
    with caplog.at_level(logging.INFO):
        training.train(models.Arch("autoencoder", 8, 3, 1), [training.Run(0, "relu", 0.3, 1e-3)],
                       source, training.Settings.from_spec(spec))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("progress ")]
    assert len(lines) == 7 and lines[0].startswith("progress 1/6 steps (16.7 %)")
    assert lines[-1].startswith("progress 6/6 steps (100.0 %)") and "ETA" in lines[-1]


def test_unet_training_writes_progress_lines(monkeypatch, caplog, tmp_path):
    from easy2hard.images import training

    from .test_unet_resume import settings

    images = np.random.default_rng(0).uniform(-1, 1, (32, 1, 8, 8)).astype(np.float32)
    _every_call(monkeypatch, training)
    with caplog.at_level(logging.INFO):
        training.train(images, settings(steps=3), 0, tmp_path, [3], progress=True)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("progress ")]
    assert lines[-1].startswith("progress 3/3 steps (100.0 %)") and "loss" in lines[-1]


# ------------------------------------------------------------------ corrupt tables
def test_every_table_has_a_sidecar_checksum(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules["__main__"], "snakemake",
                        types.SimpleNamespace(rule="mcm_sweep_cell"), raising=False)
    table = tmp_path / "N12.parquet"
    io.write_parquet(pd.DataFrame({"n": np.arange(100)}), table)
    assert io.matches_sidecar(table) is True and io.sidecar_rule(table) == "mcm_sweep_cell"
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "-c", table.name + ".sha256"], cwd=tmp_path,
                               capture_output=True, text=True)
        assert check.returncode == 0 and "N12.parquet: OK" in check.stdout
    _truncate(table)
    assert io.matches_sidecar(table) is False
    outputs = [re.compile(re.escape(str(tmp_path)) + r"/N(?P<N>[0-9]+)\.parquet$")]
    assert integrity.corrupt_tables(tmp_path, outputs) == [(table, "mcm_sweep_cell")]
    with pytest.raises(ValueError) as info:
        io.read_parquet(table)
    msg = str(info.value)
    assert str(table) in msg and "made by rule mcm_sweep_cell" in msg
    assert f"snakemake --cores 1 --forcerun {table}" in msg
    (line,) = integrity.remove_corrupt_tables(tmp_path, outputs)
    assert str(table) in line and "mcm_sweep_cell" in line
    assert not table.exists() and not io.sidecar_path(table).exists()


def test_kept_figures_are_put_back_after_a_failure(tmp_path):
    figs, keep = tmp_path / "figures", tmp_path / "keep"
    figs.mkdir()
    (figs / "a.png").write_bytes(b"old a")
    (figs / "b.png").write_bytes(b"old b")
    assert integrity.keep_figures(figs, keep) == 2
    (figs / "a.png").unlink()  # what Snakemake does to a job's outputs before running it
    io.write_bytes(b"new b", figs / "b.png")  # rebuilt by a job that succeeded
    assert integrity.restore_figures(figs, keep) == [figs / "a.png"]
    assert (figs / "a.png").read_bytes() == b"old a" and (figs / "b.png").read_bytes() == b"new b"
    assert not keep.exists()


@pytest.mark.parametrize("argv, dry", [(["snakemake", "-n"], True), (["snakemake", "-np"], True),
                                       (["snakemake", "--dry-run"], True),
                                       (["snakemake", "--report", "r.html"], True),
                                       (["snakemake", "--report=r.html"], True),
                                       (["snakemake", "--lint"], True),
                                       (["snakemake", "-l"], True),
                                       (["snakemake", "--cores", "1"], False),
                                       (["snakemake", "--config", "n=1"], False)])
def test_dry_runs_are_told_apart(argv, dry):
    assert integrity.dry_run(argv) is dry


def _projection_config() -> dict:
    cfg = tiny_config(datasets={"build": []})
    cfg["mcm"]["sweeps"] = {"cum": tiny_mcm_sweep()}
    cfg["mcm"]["figures"] = {"mcm_projection": {"sweeps": ["cum"]}}
    return cfg


@pytest.mark.slow
def test_truncated_table_is_rebuilt_by_the_next_run(tmp_path):
    """Truncate results/mcm/cum/N12.parquet and run again: the run reports it, rebuilds it
    (same bytes) and redraws what reads it (before: every later run failed the same way)."""
    cfg = _projection_config()
    table = tmp_path / "results/mcm/cum/N12.parquet"
    snakemake(tmp_path, cfg)
    good = table.read_bytes()
    _truncate(table)
    proc = snakemake(tmp_path, cfg)
    assert "N12.parquet: its bytes do not match its checksum" in proc.stderr
    assert "made by rule mcm_sweep_cell" in proc.stderr
    assert table.read_bytes() == good and io.matches_sidecar(table)
    assert "Nothing to be done" in snakemake(tmp_path, cfg, "-n").stdout


@pytest.mark.slow
def test_failed_figure_job_keeps_the_good_figure(tmp_path):
    """A table corrupted behind its checksum's back (the sidecar rewritten to match) makes
    the figure job fail: its log names the rule that made the table and the command that
    rebuilds it, and the figure drawn before is still there, byte for byte."""
    cfg = _projection_config()
    snakemake(tmp_path, cfg)
    table, png = tmp_path / "results/mcm/cum/N12.parquet", tmp_path / "results/figures/mcm_projection.png"
    old_png = png.read_bytes()
    _truncate(table)
    io.sidecar_path(table).write_text(f"{io.sha256(table)}  N12.parquet\n# rule: mcm_sweep_cell\n")
    proc = snakemake(tmp_path, cfg, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "made by rule mcm_sweep_cell" in out and "--forcerun results/mcm/cum/N12.parquet" in out
    assert png.read_bytes() == old_png


# ------------------------------------------------------------------ duplicate keys
def test_duplicate_key_in_a_config_file_names_key_and_lines(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("mcm:\n  enabled: true\n  sweeps:\n    a:\n      N: [8]\n      t: [0.3]\n"
                    "      seeds: [0]\n      t: [0.1]\n")
    with pytest.raises(config.ConfigError) as info:
        config.read_yaml(path)
    assert str(info.value) == (f"config file {path}: key 't' given twice (lines 6 and 8); "
                               f"allowed: each key once per mapping")
    path.write_text("a: &x {b: 1}\nc:\n  <<: *x\n  b: 2\n")  # a merge may be overridden
    assert config.read_yaml(path)["c"] == {"b": 2}


def test_duplicate_keys_stop_the_workflow(tmp_path):
    text = yaml.safe_dump(load_test_config("theory")) + "device: cpu\ndevice: cuda\n"
    (tmp_path / "dup.yaml").write_text(text)
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory",
           str(tmp_path), "--cores", "1", "-n", "--configfile", str(tmp_path / "dup.yaml")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0 and "key 'device' given twice (lines" in proc.stdout + proc.stderr
    (tmp_path / "ok.yaml").write_text(yaml.safe_dump(load_test_config("theory")))
    cmd[-1] = str(tmp_path / "ok.yaml")
    proc = subprocess.run(cmd + ["--config", "device=cpu", "device=cuda"], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode != 0
    assert "--config: key 'device' given twice (arguments" in proc.stdout + proc.stderr


def test_duplicate_keys_inside_a_config_override():
    argv = ["snakemake", "--config", "theory={kmax: 3, kmax: 4}", "-n"]
    (msg,) = config.override_problems(argv)
    assert "key 'kmax' given twice (lines 1 and 1)" in msg and msg.startswith("--config theory=")
    assert config.override_problems(["snakemake", "--config", "a=1", "b=2"]) == []


# ------------------------------------------------------------------ empty file
def test_empty_config_file_is_one_line_naming_it(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing but a comment\n")
    proc = subprocess.run([sys.executable, "-m", "easy2hard.pipeline.config", str(path)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [f"{path}: config file {path} is empty; allowed: a "
                                        f"mapping of config keys (see config/config.yaml)"]


# ------------------------------------------------------------------ writable outputs
def test_results_that_cannot_be_a_folder_stop_the_workflow_before_any_job(tmp_path):
    (tmp_path / "results").write_text("a file where the results folder should be")
    proc = snakemake(tmp_path, load_test_config("theory"), "-n", check=False)
    assert proc.returncode != 0
    assert f"output folder {tmp_path / 'results'} is not writable by this user (not a folder)" \
        in proc.stdout + proc.stderr


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv")
                    or not Path("/usr/bin/python3").exists(), reason="needs root, setpriv")
def test_unwritable_results_found_as_another_user():
    """Root ignores modes, so the check runs as 'nobody' on a root-owned 0755 folder
    (before: found after the work, as a traceback naming a .part file)."""
    base = Path(tempfile.mkdtemp(prefix="e2h-perm-"))
    try:
        base.chmod(0o755)
        (base / "results" / "mcm").mkdir(parents=True)
        (base / "results").chmod(0o777)  # writable; one folder under it is not
        (base / "results" / "mcm").chmod(0o755)
        code = ("import sys; sys.path.insert(0, sys.argv[1]); "
                "from easy2hard.pipeline import integrity; "
                "print('\\n'.join(integrity.unwritable([sys.argv[2], sys.argv[3]])))")
        proc = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                               "/usr/bin/python3", "-c", code, str(REPO), str(base / "results"),
                               str(base / "data")], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        lines = proc.stdout.splitlines()
        assert len(lines) == 2, lines
        assert lines[0].startswith(f"output folder {base / 'results' / 'mcm'} is not writable "
                                   f"by this user (Permission denied)")
        assert lines[1].startswith(f"output folder {base} is not writable")  # where data/ goes
        assert integrity.unwritable([base / "results", base / "data"]) == []  # root: fine
    finally:
        shutil.rmtree(base, ignore_errors=True)


# ------------------------------------------------------------------ the checker's command line
def test_config_checker_help_is_a_usage_text():
    proc = subprocess.run([sys.executable, "-m", "easy2hard.pipeline.config", "--help"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith("usage: python -m easy2hard.pipeline.config")
    assert "--config KEY=VALUE" in proc.stdout and "does not exist" not in proc.stdout


def test_dotted_config_key_is_supported_by_the_checker(tmp_path, capsys):
    """`theory.kmax=6` (which Snakemake's own parser rejects before the workflow is read)
    is applied by the checker, which prints the nested form Snakemake accepts."""
    path = tmp_path / "theory.yaml"
    path.write_text(yaml.safe_dump(load_test_config("theory")))
    assert config.main([str(path), "--config", "theory.kmax=6"]) == 0
    out = capsys.readouterr().out
    assert "for snakemake write --config 'theory={kmax: 6}'" in out
    assert config.load(path, config.nested({"theory.kmax": "6"}))["theory"]["kmax"] == 6
    assert config.main([str(path), "--config", "theory.kmax=1"]) == 1  # kmax >= 2


# ------------------------------------------------------------------ the guarantees' list
def test_reliability_doc_names_real_tests():
    """docs/reliability.md names, for every guarantee, tests that exist."""
    import re

    doc = (REPO / "docs" / "reliability.md").read_text()
    named = set(re.findall(r"`(test_[a-z0-9_]+)`", doc))
    defined = {m for path in (REPO / "tests").glob("test_*.py")
               for m in re.findall(r"^def (test_[a-z0-9_]+)", path.read_text(), re.M)}
    assert len(named) >= 30 and not named - defined, sorted(named - defined)


def test_estimate_counts_every_figure_and_each_sweeps_overlap_sde():
    """The estimate has a job per figure drawn (each costs a job start) and one overlap-SDE job
    per predicted-curves table the figures read (not per MCM sweep: the plain-SGD projection
    sweep has none), the two-overlap (correlated) sweep's the dearest of them."""

    cfg = config.load(REPO / "config" / "config.yaml")
    est = cost.estimate(cfg)
    for stage in plan.enabled_stages(cfg):
        pngs = [t for t in stage.targets(cfg, "r") if "/figures/" in t and t.endswith(".png")]
        figures = [j for j in est[stage.name] if j.name.startswith("figure_")]
        assert len(figures) == len(pngs), stage.name
    sde = {j.name.split("=")[-1]: j.seconds for j in est["theory"]
           if j.name.startswith("theory_dynamics")}
    wanted = {Path(f).stem for fig in plan.mcm.STAGE.figures if fig.name in cfg["mcm"]["figures"]
              for f in fig.inputs(cfg, "r").get("predicted", [])}  # theory_dynamics's outputs
    assert set(sde) == wanted and "projection" not in wanted
    assert max(sde, key=sde.get) == "cumulant_correlated"
