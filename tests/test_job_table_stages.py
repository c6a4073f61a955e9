"""The job tables of the fourier and multipatch rules: each cost counts the runs the library
trains (each output template written once: tests/test_output_paths.py).

The costs are built from the same specs as the jobs' params (``plan.job_params``); the runs
they count are those the library expands from those params (``fourier.classifier.settings``,
``multipatch.synthetic.runs``, ``multipatch.noisy_digits.runs``).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from .conftest import REPO
from easy2hard.pipeline import config, plan
from easy2hard.pipeline.plan import fourier, multipatch


@pytest.fixture(scope="module")
def cfg() -> dict:
    return config.validate(config.read_yaml(REPO / "config/config.yaml"))


def test_classifier_cost_counts_the_cells_runs_and_budget(cfg):
    """Every N, flat-only N included (one alpha, one readout there)."""
    from easy2hard.fourier import classifier

    for N in fourier.classifier_Ns(cfg):
        params = plan.job_params(cfg, "fourier_classifier_cell")
        runs = classifier.settings(N, params["spec"](SimpleNamespace(N=str(N))))
        assert fourier.classifier_work(cfg, N) == (len(runs), runs[0].n_max)


def test_multipatch_costs_count_the_runs_each_job_trains(cfg):
    from easy2hard.multipatch import noisy_digits, synthetic

    for objective in multipatch.OBJECTIVES:
        spec = plan.job_params(cfg, f"multipatch_{objective}")["spec"](None)
        runs, steps = multipatch.training_work(multipatch.synthetic_spec(cfg, objective), objective)
        assert (runs, steps) == (len(synthetic.runs(spec, objective)), spec[objective]["steps"])
    settings = plan.job_params(cfg, "multipatch_literal")["settings"](None)
    literal = synthetic.literal_spec(settings["spec"], settings["literal"])
    assert multipatch.training_work(multipatch.literal_settings(cfg), "diffusion") == (
        len(synthetic.runs(literal, "diffusion")), settings["literal"]["steps"])
    digits = plan.job_params(cfg, "multipatch_digits")["spec"](None)
    assert str(len(noisy_digits.runs(digits))) in multipatch.digits_cost(cfg).work
