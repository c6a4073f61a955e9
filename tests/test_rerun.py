"""Editing one sweep reruns only that sweep's cells and the figures that read them."""

import copy
import re

from .conftest import tiny_config


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
    cfg["figures"] = {"mcm_overlap_vs_n": {"sweeps": ["cov", "cum"]},
                      "mcm_threshold_scaling": {"sweeps": ["cov"], "level": 0.3},
                      "mcm_projection": {"sweeps": ["cum"]}}
    run_workflow(cfg, *FIGURES)
    assert planned_outputs(run_workflow(cfg, "-n", *FIGURES)) == set()

    edited = copy.deepcopy(cfg)
    edited["mcm"]["sweeps"]["cov"]["lr"] = {"coef": 0.02}
    plan = planned_outputs(run_workflow(edited, "-n", *FIGURES))
    expected = {"results/mcm/cov/N8.parquet", "results/mcm/cov/N12.parquet",
                "results/theory/sweeps/cov.parquet",
                "results/figures/mcm_overlap_vs_n.pdf", "results/figures/mcm_overlap_vs_n.png",
                "results/figures/mcm_threshold_scaling.pdf",
                "results/figures/mcm_threshold_scaling.png"}
    assert plan == expected

    # Adding an N to a sweep adds one cell and reruns none of the existing ones.
    grown = copy.deepcopy(cfg)
    grown["mcm"]["sweeps"]["cum"]["N"] = [8, 12, 16]
    plan = planned_outputs(run_workflow(grown, "-n", *FIGURES))
    assert {p for p in plan if p.startswith(("results/mcm/", "results/theory/"))} == {
        "results/mcm/cum/N16.parquet"}
