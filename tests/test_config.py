"""Bad config values stop the workflow before any job, naming the key and what is allowed."""

import math

import pytest
from easy2hard.pipeline import config as cfgmod

from .conftest import REPO, tiny_config, tiny_mcm_sweep


def _error(cfg) -> str:
    with pytest.raises(cfgmod.ConfigError) as info:
        cfgmod.validate(cfg)
    return str(info.value)


def test_default_and_paper_configs_validate():
    for name in ("config.yaml", "paper.yaml"):
        path = REPO / "config" / name
        if path.exists():
            cfgmod.load(path)


def test_defaults_come_from_schema():
    cfg = cfgmod.validate({"mcm": {"sweeps": {"s": {"N": [8], "seeds": [0]}}}})
    sweep = cfg["mcm"]["sweeps"]["s"]
    schema = cfgmod.load_schema()["$defs"]["mcm_sweep"]["properties"]
    assert sweep["batch"] == schema["batch"]["default"]
    assert sweep["projection"] == schema["projection"]["default"]
    assert math.isinf(sweep["beta_v"][0])
    assert cfg["device"] == "auto"


@pytest.mark.parametrize("override, key, allowed", [
    ({"activation": ["softplus"]}, "mcm.sweeps.s.activation[0]", "'sigma_star'"),
    ({"N": [0]}, "mcm.sweeps.s.N[0]", ">= 3"),
    ({"lr": {"coef": -0.1}}, "mcm.sweeps.s.lr.coef", "> 0"),
    ({"projection": ["ball"]}, "mcm.sweeps.s.projection[0]", "'sphere', 'none'"),
    ({"seeds": []}, "mcm.sweeps.s.seeds", "at least 1"),
    ({"latent": ["cauchy"]}, "mcm.sweeps.s.latent[0]", "'rademacher'"),
    ({"batchsize": 3}, "mcm.sweeps.s", "only the keys"),
])
def test_bad_values_name_key_and_allowed(override, key, allowed):
    msg = _error({"mcm": {"sweeps": {"s": tiny_mcm_sweep(**override)}}})
    assert f"'{key}'" in msg
    assert allowed in msg


def test_missing_seeds_is_reported():
    spec = tiny_mcm_sweep()
    del spec["seeds"]
    assert "'seeds' is a required property" in _error({"mcm": {"sweeps": {"s": spec}}})


def test_figure_must_name_existing_sweep():
    cfg = tiny_config()
    cfg["figures"]["mcm_projection"]["sweeps"] = ["nope"]
    msg = _error(cfg)
    assert "figures.mcm_projection.sweeps" in msg and "'nope'" in msg


def test_workflow_stops_before_any_job(run_workflow):
    cfg = tiny_config()
    cfg["mcm"]["sweeps"]["cov"]["projection"] = ["ball"]
    proc = run_workflow(cfg, check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "mcm.sweeps.cov.projection[0]" in out and "'sphere', 'none'" in out
    assert not (run_workflow.workdir / "results").exists()


def test_configfile_replaces_default(run_workflow):
    """A --configfile is complete: the default sweeps do not leak into it."""
    proc = run_workflow(tiny_config(), "-n")
    plan = proc.stdout + proc.stderr
    assert "results/mcm/cum/N8.parquet" in plan
    assert "results/mcm/covariance/" not in plan
