"""Bad config values stop the workflow before any job, naming the key and what is allowed."""

import copy
import math

import pytest
import yaml
from easy2hard.pipeline import config as cfgmod

from .conftest import REPO, load_test_config, tiny_config, tiny_mcm_sweep


def _error(cfg) -> str:
    with pytest.raises(cfgmod.ConfigError) as info:
        cfgmod.validate(cfg)
    return str(info.value)


def test_default_and_paper_configs_validate(monkeypatch):
    from easy2hard.pipeline import cost

    monkeypatch.setattr(cost, "cuda_present", lambda: True)  # paper.yaml trains on a GPU
    tiny = [f"test/{p.name}" for p in sorted((REPO / "config/test").glob("*.yaml"))]
    for name in ("config.yaml", "paper.yaml", "images_order.yaml", *tiny):
        path = REPO / "config" / name
        assert path.is_file(), path
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
    cfg["mcm"]["figures"]["mcm_projection"]["sweeps"] = ["nope"]
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


# ------------------------------------------------------------------ numbers
def test_integral_floats_of_integer_keys_become_ints():
    cfg = cfgmod.validate({"mcm": {"sweeps": {"s": tiny_mcm_sweep(N=[8.0, 12], batch=2.0)}}})
    sweep = cfg["mcm"]["sweeps"]["s"]
    assert sweep["N"] == [8, 12] and all(type(n) is int for n in sweep["N"])
    assert type(sweep["batch"]) is int
    # number keys keep what was written (a float stays a float)
    assert type(sweep["t"][0]) is float


def test_non_integral_float_for_integer_key_is_rejected():
    msg = _error({"mcm": {"sweeps": {"s": tiny_mcm_sweep(N=[8.5])}}})
    assert "'mcm.sweeps.s.N[0]'" in msg and "integer" in msg


@pytest.mark.parametrize("text, hint", [("1e5", "write 100000"), ("1e-5", "write 1.0e-05")])
def test_number_written_as_string_says_how_to_write_it(text, hint):
    value = yaml.safe_load(f"x: {text}")["x"]
    assert isinstance(value, str)  # YAML 1.1 reads it as a string: the reason for the hint
    key = {"write 100000": ("log_points", "mcm.sweeps.s.log_points"),
           "write 1.0e-05": ("latent_a", "mcm.sweeps.s.latent_a")}[hint]
    msg = _error({"mcm": {"sweeps": {"s": tiny_mcm_sweep(**{key[0]: value})}}})
    assert f"'{key[1]}'" in msg and hint in msg
    assert yaml.safe_load(hint.split()[1]) == float(text)  # the hint is a YAML number


# ------------------------------------------------------------------ canonical
def _reversed(obj):
    """``obj`` with the keys of every mapping in reverse order (lists kept)."""
    if isinstance(obj, dict):
        return {k: _reversed(obj[k]) for k in reversed(list(obj))}
    return [_reversed(v) for v in obj] if isinstance(obj, list) else obj


def test_validated_config_does_not_depend_on_key_order():
    cfg = load_test_config("images")
    a, b = cfgmod.validate(cfg), cfgmod.validate(_reversed(cfg))
    assert list(_reversed(cfg)) != list(cfg)
    assert repr(a) == repr(b)  # what Snakemake compares: the repr of each param
    assert list(a) == sorted(a) and list(a["unet"]["runs"]["tiny"]) == sorted(a["unet"]["runs"]["tiny"])


def test_canonical_normalises_mappings_and_numbers():
    import collections

    import numpy as np

    messy = collections.OrderedDict(b=(1, np.float64(-0.0)), a={"y": np.int64(3), "x": True})
    assert repr(cfgmod.canonical(messy)) == "{'a': {'x': True, 'y': 3}, 'b': [1, 0.0]}"


# ------------------------------------------------------------------ --config
def test_nested_override_strings_are_parsed_against_the_schema():
    # what Snakemake makes of --config 'theory={kmax: 6, t: [0.1, 1]}' and 'mcm={...}'
    raw = {"theory": {"kmax": "6", "t": ["0.1", "1"]}, "device": "cpu",
           "mcm": {"sweeps": {"s": {"N": ["8"], "seeds": ["0"], "beta_v": [".inf"],
                                    "correlated": ["true"], "log_points": "1e2"}}}}
    out = cfgmod.parse_overrides(raw)
    assert out["theory"] == {"kmax": 6, "t": [0.1, 1]}
    assert out["device"] == "cpu"
    sweep = out["mcm"]["sweeps"]["s"]
    assert sweep["N"] == [8] and sweep["seeds"] == [0] and sweep["correlated"] == [True]
    assert math.isinf(sweep["beta_v"][0]) and sweep["log_points"] == 100.0
    cfg = cfgmod.validate(out)
    assert cfg["theory"]["kmax"] == 6 and cfg["mcm"]["sweeps"]["s"]["log_points"] == 100


# ------------------------------------------------------------------ cross-key
def _unet(**changes) -> dict:
    cfg = load_test_config("images")
    for path, value in changes.items():
        node = cfg["unet"]["runs"]["tiny"]
        *head, last = path.split("__")
        for part in head:
            node = node.setdefault(part, {})
        node[last] = value
    return cfg


@pytest.mark.parametrize("changes, key, allowed", [
    ({"evaluation__fixed_k": [5, 50]}, "unet.runs.tiny.evaluation.fixed_k", "0 <= k <= 49"),
    ({"model__depth": 5}, "unet.runs.tiny.model.depth", "depth in [1, 2, 3, 4]"),
    ({"checkpoints__n": 31}, "unet.runs.tiny.checkpoints.n", "n <= 30"),
    ({"checkpoints__first": 31}, "unet.runs.tiny.checkpoints.first", "first <= training.steps = 30"),
    ({"training__train_subset": 1}, "unet.runs.tiny.training.train_subset", ">= 2"),
    ({"seeds": [0]}, None, None),  # a valid change: no error
])
def test_unet_cross_key_checks(changes, key, allowed):
    cfg = _unet(**changes)
    if key is None:
        cfgmod.validate(cfg)
        return
    msg = _error(cfg)
    assert f"config key '{key}'" in msg and allowed in msg


def test_train_split_of_one_image_is_refused():
    cfg = _unet()
    cfg["datasets"]["natural_patches"]["counts"]["train"] = 1
    msg = _error(cfg)
    assert "config key 'datasets.natural_patches.counts.train'" in msg and ">= 2" in msg


def test_report_table_must_be_made_by_a_rule():
    cfg = load_test_config("images")
    cfg["theory"] = {"enabled": True}
    cfg["report"] = {"enabled": True, "tables": ["theory/hermite", "unet/natural_patches/tiny/losses",
                                "unet/natural_patches/tiny/eval/share0"]}
    cfgmod.validate(cfg)
    cfg["report"]["tables"].append("theory/hermit")
    msg = _error(cfg)
    assert "config key 'report.tables'" in msg and "'theory/hermit'" in msg
    assert "theory/hermite" in msg.split("allowed:")[1]


@pytest.mark.parametrize("where", ["mcm", "networks", "unet"])
def test_duplicate_seeds_are_rejected(where):
    if where == "mcm":
        cfg, key = {"mcm": {"sweeps": {"s": tiny_mcm_sweep(seeds=[0, 1, 0])}}}, "mcm.sweeps.s.seeds"
    elif where == "networks":
        cfg = load_test_config("networks")
        name = next(iter(cfg["networks"]["sweeps"]))
        cfg["networks"]["sweeps"][name]["seeds"] = [3, 3]
        key = f"networks.sweeps.{name}.seeds"
    else:
        cfg, key = _unet(seeds=[1, 1]), "unet.runs.tiny.seeds"
    msg = _error(cfg)
    assert f"'{key}'" in msg and ("repeated" in msg or "non-unique" in msg)


def test_mcm_and_network_sweeps_cannot_share_a_name():
    cfg = load_test_config("networks")
    name = next(iter(cfg["networks"]["sweeps"]))
    cfg["mcm"] = {"sweeps": {name: tiny_mcm_sweep()}}
    msg = _error(cfg)
    assert f"config key 'networks.sweeps.{name}'" in msg and "mcm.sweeps" in msg


@pytest.mark.parametrize("section, change, key", [
    ("theory", lambda c: c["theory"].setdefault("latents", {}).update(
        bad={"spike": "cumulant", "correlated": True}), "theory.latents.bad"),
    ("images", lambda c: c["datasets"]["natural_patches"].update(range=[1.0, -1.0]),
     "datasets.natural_patches.range"),
    ("networks", lambda c: [s.update(model="autoencoder", depth=[2])
                            for s in c["networks"]["sweeps"].values()], "networks.sweeps."),
])
def test_stage_checks_run_at_validation(section, change, key):
    cfg = load_test_config(section)
    change(cfg)
    assert f"config key '{key}" in _error(cfg)


# ------------------------------------------------------------------ files
def test_yaml_syntax_error_names_file_line_and_column(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("mcm:\n  sweeps: {a: [1, 2}\n")
    with pytest.raises(cfgmod.ConfigError) as info:
        cfgmod.read_yaml(bad)
    assert f"config file {bad}, line 2, column 20" in str(info.value)
    assert cfgmod.main([str(bad), str(tmp_path / "missing.yaml")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2, err  # one line each
    assert "line 2, column 20" in err[0] and f"{tmp_path / 'missing.yaml'} does not exist" in err[1]


def test_config_check_command_accepts_a_good_file(capsys):
    assert cfgmod.main([str(REPO / "config/test/theory.yaml")]) == 0
    assert "valid" in capsys.readouterr().out
