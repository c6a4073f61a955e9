"""The networks claims (easy2hard.networks.claims: Figs. 3a, 3b–c, A.4) on constructed cell
tables in the real format (one row per run and logged step), and their declaration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from easy2hard.networks import claims
from easy2hard.pipeline import config, plan

REPO = Path(__file__).resolve().parents[1]
OPTIONS = {"level": 0.95, "refute_level": 1 - 0.05 / 25, "bootstrap": {"samples": 200, "seed": 0}}
CHANCE = {1: 0.14, 100: 0.47}


def cell(sweep, m, L, finals: dict, seeds=3, trained=True) -> pd.DataFrame:
    """One cell: per activation and seed, overlap with v from chance to ``finals[act]`` (±0.01
    over seeds) over steps 0, 10, 100; the MCM loss falls 1.4 → 0.8 (or not)."""
    rows = []
    for act, final in finals.items():
        for s in range(seeds):
            end = final + 0.01 * (s - (seeds - 1) / 2)
            rows.append(pd.DataFrame({
                "sweep": sweep, "N": 32, "m": m, "L": L, "activation": act, "seed": s,
                "step": [0, 10, 100], "overlap_v": [CHANCE[m], (CHANCE[m] + end) / 2, end],
                "chance_overlap": CHANCE[m],
                "loss_mcm": [1.4, 1.1, 0.8] if trained else [1.4, 1.45, 1.5]}))
    return pd.concat(rows, ignore_index=True)


def paths(tmp_path, *cells):
    out = []
    for i, df in enumerate(cells):
        p = tmp_path / f"cell{i}.parquet"
        df.to_parquet(p)
        out.append(str(p))
    return {"tables": out}


WIDTH = {"activations": ["relu", "relu2"]}
DEPTH = {"recover": ["tanh", "sigmoid"], "fail": ["relu2"]}


def width(tmp_path, finals, **kw):
    narrow = cell("w", 1, 1, {"relu": 0.14, "relu2": 0.2})
    return claims.fig3a_width(paths(tmp_path, narrow, cell("w", 100, 1, finals, **kw)),
                              {**OPTIONS, **WIDTH})


def test_fig3a_planted_learning_at_the_widest_width_is_supported(tmp_path):
    ev = width(tmp_path, {"relu": 0.9, "relu2": 0.95})
    assert ev.verdict == "supported", ev.reason
    assert np.isclose(ev.estimate, 0.9 - 0.47) and ev.control_estimate == 0.47
    assert ev.n_seeds == 3


def test_fig3a_below_chance_is_refuted(tmp_path):
    ev = width(tmp_path, {"relu": 0.3, "relu2": 0.95})
    assert ev.verdict == "refuted", ev.reason
    assert "relu (w, N=32, m=100)" in ev.reason


def test_fig3a_two_seeds_are_inconclusive(tmp_path):
    ev = width(tmp_path, {"relu": 0.9, "relu2": 0.95}, seeds=2)
    assert ev.verdict == "inconclusive" and "2 seeds" in ev.reason


def test_fig3a_untrained_networks_fail_calibration(tmp_path):
    ev = width(tmp_path, {"relu": 0.9, "relu2": 0.95}, trained=False)
    assert ev.verdict == "inconclusive" and "calibration failed" in ev.reason


def test_fig3a_missing_activation_is_inconclusive(tmp_path):
    ev = width(tmp_path, {"relu2": 0.95})
    assert ev.verdict == "inconclusive" and "['relu'] not run" in ev.reason


def depth(tmp_path, deep: dict):
    shallow = cell("d", 100, 2, {"tanh": 0.5, "sigmoid": 0.47, "relu2": 0.4})
    return claims.fig3bc_depth(paths(tmp_path, shallow, cell("d", 100, 4, deep)),
                               {**OPTIONS, **DEPTH})


def test_fig3bc_recovery_with_relu2_stuck_is_supported(tmp_path):
    ev = depth(tmp_path, {"tanh": 0.8, "sigmoid": 0.7, "relu2": 0.4})
    assert ev.verdict == "supported", ev.reason
    assert np.isclose(ev.estimate, 0.7 - 0.47) and np.isclose(ev.control_estimate, 0.4 - 0.47)


def test_fig3bc_relu2_learning_at_depth_refutes(tmp_path):
    """The control: ReLU² must not recover at the deepest depth."""
    ev = depth(tmp_path, {"tanh": 0.8, "sigmoid": 0.7, "relu2": 0.95})
    assert ev.verdict == "refuted", ev.reason


def test_fig3bc_a_recovering_activation_at_chance_is_inconclusive(tmp_path):
    ev = depth(tmp_path, {"tanh": 0.8, "sigmoid": 0.47, "relu2": 0.4})
    assert ev.verdict == "inconclusive", ev.reason
    assert ev.lo < 0 < ev.hi


def test_figA4_narrow_stuck_and_wide_learning_is_supported(tmp_path):
    narrow = cell("n", 1, 1, {"relu": 0.13, "relu2": 0.14})
    wide = cell("s", 100, 1, {"relu": 0.8, "relu2": 0.95})
    ev = claims.figA4(paths(tmp_path, narrow, wide), {**OPTIONS, **WIDTH})
    assert ev.verdict == "supported", ev.reason
    assert np.isclose(ev.control_estimate, 0.0)


def test_figA4_a_narrow_network_that_learns_refutes(tmp_path):
    narrow = cell("n", 1, 1, {"relu": 0.13, "relu2": 0.9})
    wide = cell("s", 100, 1, {"relu": 0.8, "relu2": 0.95})
    ev = claims.figA4(paths(tmp_path, narrow, wide), {**OPTIONS, **WIDTH})
    assert ev.verdict == "refuted" and "relu2 (n, N=32, m=1)" in ev.reason


def test_figA4_without_a_narrow_cell_is_inconclusive_with_the_wide_numbers(tmp_path):
    wide = cell("s", 100, 1, {"relu": 0.8, "relu2": 0.95})
    ev = claims.figA4(paths(tmp_path, wide), {**OPTIONS, **WIDTH})
    assert ev.verdict == "inconclusive" and "no narrow" in ev.reason
    assert np.isclose(ev.estimate, 0.8 - 0.47)


def test_claims_follow_the_figures_of_each_config():
    ids = {c.id: c for c in plan.networks.STAGE.claims}
    assert all(callable(c.function()) for c in ids.values())
    assert set(ids) == {"networks.fig3a_width", "networks.fig3bc_depth", "networks.figA4",
                        "networks.fig1c_mcm_clones"}
    cfg = config.load(REPO / "config" / "authors.yaml")
    assert ids["networks.fig3bc_depth"].inputs(cfg, "R") == {}
    assert ids["networks.figA4"].inputs(cfg, "R")["tables"] == [
        "R/networks/authors/N100_m100_L1.parquet", "R/networks/project/N100_m100_L1.parquet"]
    default = config.load(REPO / "config" / "config.yaml")
    assert "R/networks/fig3bc_depth/N32_m100_L4.parquet" in \
        ids["networks.fig3bc_depth"].inputs(default, "R")["tables"]


def clones_cell(pairwise, higher, seeds=3, trained=True) -> pd.DataFrame:
    """A Fig. 1c cell: per seed and steps 0, 10, 100, 1000, the MCM loss falls (or not), the
    meancov clone's loss is MCM + ``higher[step]`` and mean_iso's is meancov + ``pairwise``
    (each ± 0.002 over seeds)."""
    rows = []
    for s in range(seeds):
        jitter = 0.002 * (s - (seeds - 1) / 2)
        mcm = np.array([1.4, 1.2, 1.0, 0.8] if trained else [1.4, 1.4, 1.5, 1.5])
        meancov = mcm + np.array(higher) + jitter
        rows.append(pd.DataFrame({
            "sweep": "c", "N": 32, "m": 100, "L": 3, "activation": "relu", "seed": s,
            "step": [0, 10, 100, 1000], "loss_mcm": mcm, "loss_meancov_clone": meancov,
            "loss_mean_iso_clone": meancov + np.array(pairwise) - jitter}))
    return pd.concat(rows, ignore_index=True)


def test_fig1c_gaussian_statistics_first_is_supported(tmp_path):
    ev = claims.fig1c_mcm_clones(paths(tmp_path, clones_cell(
        pairwise=[0, 0.05, 0.05, 0.05], higher=[0, 0, 0, 0.03])), OPTIONS)
    assert ev.verdict == "supported" and "from step 10" in ev.reason, ev.reason


def test_fig1c_higher_order_first_is_refuted(tmp_path):
    ev = claims.fig1c_mcm_clones(paths(tmp_path, clones_cell(
        pairwise=[0, 0, 0, 0.05], higher=[0, 0.05, 0.05, 0.05])), OPTIONS)
    assert ev.verdict == "refuted", ev.reason


def test_fig1c_needs_three_seeds_and_training(tmp_path):
    planted = dict(pairwise=[0, 0.05, 0.05, 0.05], higher=[0, 0, 0, 0.03])
    two = claims.fig1c_mcm_clones(paths(tmp_path, clones_cell(**planted, seeds=2)), OPTIONS)
    assert two.verdict == "inconclusive" and two.reason.startswith("2 seeds")
    stuck = claims.fig1c_mcm_clones(paths(tmp_path, clones_cell(**planted, trained=False)),
                                    OPTIONS)
    assert stuck.verdict == "inconclusive" and "calibration failed" in stuck.reason
