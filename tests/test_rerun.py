"""Editing one sweep reruns only that sweep's cells and the figures that read them; editing
the library reruns only the jobs that import the edited module."""

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO, load_test_config, tiny_config


def planned_outputs(proc) -> set[str]:
    """Output files of the jobs a dry run plans (the `all` target has none)."""
    text = proc.stdout + proc.stderr
    outs = set()
    for line in re.findall(r"^\s*output: (.+)$", text, flags=re.M):
        outs.update(p.strip() for p in line.split(","))
    return outs


FIGURES = [f"results/figures/{f}.{ext}" for f in
           ("mcm_overlap_vs_n", "mcm_threshold_scaling", "mcm_projection") for ext in ("pdf", "png")]


def test_edit_one_sweep_plans_only_its_jobs(run_workflow):
    """The plan holds the sweep's cells, its theory table and the figures that read them."""
    cfg = tiny_config()
    cfg["mcm"]["figures"] = {"mcm_overlap_vs_n": {"sweeps": ["cov", "cum"]},
                      "mcm_threshold_scaling": {"sweeps": ["cov"], "level": 0.3},
                      "mcm_projection": {"sweeps": ["cum"]}}
    run_workflow(cfg, *FIGURES)
    assert planned_outputs(run_workflow(cfg, "-n", *FIGURES)) == set()

    edited = copy.deepcopy(cfg)
    edited["mcm"]["sweeps"]["cov"]["lr"] = {"coef": 0.02}
    plan = planned_outputs(run_workflow(edited, "-n", *FIGURES))
    expected = {"results/mcm/cov/N8.parquet", "results/mcm/cov/N12.parquet",
                "results/theory/sweeps/cov.parquet", "results/theory/dynamics/cov.parquet",
                "results/figures/mcm_overlap_vs_n.pdf", "results/figures/mcm_overlap_vs_n.png",
                "results/figures/mcm_threshold_scaling.pdf",
                "results/figures/mcm_threshold_scaling.png"}
    assert plan == expected

    # Adding an N to a sweep adds one cell and reruns none of the existing ones.
    grown = copy.deepcopy(cfg)
    grown["mcm"]["sweeps"]["cum"]["N"] = [8, 12, 16]
    plan = planned_outputs(run_workflow(grown, "-n", *FIGURES))
    # (the sweep's SDE prediction holds one curve per N of the sweep, so it grows too)
    assert {p for p in plan if p.startswith(("results/mcm/", "results/theory/"))} == {
        "results/mcm/cum/N16.parquet", "results/theory/dynamics/cum.parquet"}


def _figures(*names):
    return [f"results/figures/{f}.{ext}" for f in names for ext in ("pdf", "png")]


def test_network_stage_reruns_only_what_changed(run_workflow):
    """Editing one network sweep reruns its cells and the figures reading them; adding a
    width adds one cell and reruns no existing cell."""
    cfg = load_test_config("networks")
    figs = _figures("fig3a_width", "figA4")
    run_workflow(cfg, *figs)
    assert planned_outputs(run_workflow(cfg, "-n", *figs)) == set()

    edited = copy.deepcopy(cfg)
    edited["networks"]["sweeps"]["s"]["lr"] = [0.05]
    assert planned_outputs(run_workflow(edited, "-n", *figs)) == {
        "results/networks/s/N8_m4_L1.parquet", *_figures("figA4")}

    grown = copy.deepcopy(cfg)
    grown["networks"]["sweeps"]["w"]["width"] = [1, 4, 8]
    plan = planned_outputs(run_workflow(grown, "-n", *figs))
    assert {p for p in plan if p.startswith("results/networks/")} == {
        "results/networks/w/N8_m8_L1.parquet"}
    assert plan - {"results/networks/w/N8_m8_L1.parquet"} == set(figs)


def test_theory_stage_reruns_only_what_changed(run_workflow):
    """The radial grid reruns only the radial table and its figure; the L(m) grid reruns
    only the Hermite job (one job, three tables) and the figures reading its tables."""
    cfg = load_test_config("theory")
    figs = _figures("radial_term", "hermite_coefficients", "loss_landscape")
    run_workflow(cfg, *figs)
    assert planned_outputs(run_workflow(cfg, "-n", *figs)) == set()

    edited = copy.deepcopy(cfg)
    edited["theory"]["r"]["points"] = 13
    assert planned_outputs(run_workflow(edited, "-n", *figs)) == {
        "results/theory/radial.parquet", *_figures("radial_term")}

    edited = copy.deepcopy(cfg)
    edited["theory"]["m_points"] = 21
    assert planned_outputs(run_workflow(edited, "-n", *figs)) == {
        f"results/theory/{t}.parquet" for t in ("hermite", "exponents", "landscape")} | set(
        _figures("hermite_coefficients", "loss_landscape"))


# ---- results that know their code: a library edit reruns exactly the jobs importing it

def _tiny_linear_and_theory() -> dict:
    """config/test/linear.yaml cut to its closed forms on one Gaussian target, with the
    tiny theory stage beside it: two stages, so that "only the linear jobs" means something."""
    cfg = load_test_config("linear")
    lin = cfg["linear"]
    lin.update(targets=["isotropic"], samplers=["ddpm"])
    lin["trained"]["targets"], lin["samples"]["N_over_d"] = [], []
    lin["figures"]["regularisation"] = {"target": "isotropic", "d": lin["d"][0]}
    cfg["theory"] = load_test_config("theory")["theory"]
    return cfg


@pytest.fixture
def repo_copy(tmp_path):
    """A copy of the workflow and library, to edit without touching the repository."""
    dest = tmp_path / "repo"
    dest.mkdir()
    for part in ("Snakefile", "workflow", "easy2hard", "config", "envs", "profiles"):
        src = REPO / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / part)
    return dest


def _run_copy(repo: Path, cfg: dict, *args: str):
    cfg_path = repo / "test-config.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg))
    cmd = [sys.executable, "-m", "snakemake", "-s", str(repo / "Snakefile"), "--directory",
           str(repo), "--configfile", str(cfg_path), "--cores", "2", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _append(path: Path, text: str) -> str:
    old = path.read_text()
    path.write_text(old + text)
    return old


def test_library_edits_rerun_exactly_the_jobs_that_import_them(repo_copy):
    """An edit in easy2hard/linear reruns only the linear jobs and their figures; reverting it
    is a change too; an edit in core reruns every job; a comment-, blank-line- or
    docstring-only edit reruns nothing (the hash is of the syntax tree without docstrings)."""
    cfg = _tiny_linear_and_theory()
    _run_copy(repo_copy, cfg)
    everything = planned_outputs(_run_copy(repo_copy, cfg, "-n", "--forceall"))
    # the linear jobs, their figures and the claims that read them (the linear claims, merged)
    linear = {p for p in everything if p.startswith(("results/linear/", "results/figures/linear_",
                                                     "results/claims/linear.", "results/claims."))}
    assert linear and everything - linear, "the config must plan linear and other jobs"
    assert planned_outputs(_run_copy(repo_copy, cfg, "-n")) == set()

    init = repo_copy / "easy2hard" / "linear" / "__init__.py"
    old = _append(init, "\n# a comment\n\n\ndef _probe():\n    \"\"\"A docstring.\"\"\"\n    return 1\n")
    assert planned_outputs(_run_copy(repo_copy, cfg, "-n")) == linear
    _run_copy(repo_copy, cfg)
    _append(init, "# another comment\n")
    init.write_text(init.read_text().replace("A docstring.", "Another docstring."))
    assert planned_outputs(_run_copy(repo_copy, cfg, "-n")) == set()
    init.write_text(old)  # reverting the edit is a change too
    assert planned_outputs(_run_copy(repo_copy, cfg, "-n")) == linear
    _run_copy(repo_copy, cfg)

    _append(repo_copy / "easy2hard" / "core" / "__init__.py", "\n_PROBE = 1\n")
    assert planned_outputs(_run_copy(repo_copy, cfg, "-n")) == everything
