"""The MCM figures draw the simulated curves and the overlap SDE's predictions, and return
what they drew (the figure contract); the n* table and its recheck (more seeds, smaller lr,
scripts/mcm_recheck.py) compare the two. Small real inputs: a reduced-engine sweep of two N
(16 seeds) and its predicted curves (32 paths)."""

import math
import subprocess
import sys

import numpy as np
import pytest

from easy2hard.core.tables import write_parquet
from easy2hard.mcm import analysis, plots, sweeps
from easy2hard.pipeline import threshold_recheck
from easy2hard.theory import dynamics
from easy2hard.theory import exponents

SPEC = {"N": [16, 24], "engine": "reduced", "n_max": {"coef": 3, "power": 3, "log": False},
        "batch": 1, "activation": ["sigma_star"], "projection": ["sphere"],
        "latent": ["rademacher"], "latent_a": 0.1, "student_df": 5, "correlated": [False],
        "beta_u": [0.0], "beta_v": [math.inf], "t": [0.3],
        "lr": {"coef": 0.01, "power": 2, "ref_N": 32}, "seeds": list(range(16)),
        "spikes": "axes", "mean_shift": 0.0, "z": "integrated", "gh_order": 24,
        "w_init_norm": 1.0, "log_points": 12, "eval_samples": 0}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("mcm_plots")
    tables = []
    for N in SPEC["N"]:
        table = sweeps.train_cell(SPEC, N)
        table.insert(0, "sweep", "cum")
        tables.append(str(d / f"N{N}.parquet"))
        write_parquet(table, tables[-1])
    cells = [(N, sweeps.learning_rate(SPEC, N), sweeps.n_max(SPEC, N)) for N in SPEC["N"]]
    pred = dynamics.predicted_curves(SPEC, cells, paths=32, seed=0)
    pred.insert(0, "sweep", "cum")
    write_parquet(pred, str(d / "pred.parquet"))
    expo = exponents.sweep_exponents({"cum": SPEC}, 8, 64)
    write_parquet(expo, str(d / "expo.parquet"))
    return {"tables": tables, "predicted": [str(d / "pred.parquet")],
            "exponents": [str(d / "expo.parquet")]}


def test_threshold_figure_draws_simulated_and_predicted_n_star(inputs):
    params = {"level": 0.3, "bootstrap": {"samples": 50, "seed": 0, "ci": 0.9}}
    fig, drawn = plots.threshold_scaling(inputs, params)
    thr = drawn["thresholds"]
    assert list(thr["N"]) == SPEC["N"]
    assert np.isfinite(thr["n_star_pred"]).all() and np.isfinite(thr["n_star_drift"]).all()
    np.testing.assert_allclose(thr["ratio"], thr["n_star"] / thr["n_star_pred"])
    pred = analysis.predicted_thresholds(analysis.pd.read_parquet(inputs["predicted"][0]), 0.3)
    np.testing.assert_allclose(thr["n_star_pred"], pred.sort_values("N")["n_star_pred"])
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any(t.startswith("SDE") for t in labels) and any("drift only" in t for t in labels)
    assert (thr["n_star_pred_lo"] <= thr["n_star_pred"]).all()
    assert (thr["n_star_pred"] <= thr["n_star_pred_hi"]).all()
    band = [c for c in fig.axes[0].collections if c.get_label() == "SDE's Monte-Carlo interval"]
    y = band[0].get_paths()[0].vertices[:, 1]
    np.testing.assert_allclose([y.min(), y.max()], [thr["n_star_pred_lo"].min(),
                                                    thr["n_star_pred_hi"].max()])


def test_overlap_figure_overlays_the_predicted_curves(inputs):
    _, drawn = plots.overlap_vs_n(inputs, {})
    c = drawn["curves"]
    raw = c[c["panel"] == "cumulant/sphere/raw"]
    pred = analysis.pd.read_parquet(inputs["predicted"][0])
    for N in SPEC["N"]:
        p = pred[(pred["N"] == N) & (pred["dynamics"] == "sde")]
        drawn_pred = raw.loc[(raw["N"] == N) & raw["predicted"].notna(), "predicted"]
        np.testing.assert_allclose(drawn_pred, p.sort_values("n")["mean"])
        sim = analysis.pd.read_parquet(inputs["tables"][SPEC["N"].index(N)])
        assert raw.loc[(raw["N"] == N), "simulated"].notna().sum() == sim.loc[sim["n"] > 0,
                                                                              "n"].nunique()


def test_predicted_interval_is_the_crossing_of_the_mean_plus_minus_its_error():
    """On a mean curve 0.1 ln n with sd 0.2 over 100 paths, the 90 % interval of the SDE's n*
    is where 0.1 ln n ± 1.645·0.02 crosses the level (exact in log-linear interpolation)."""
    n = np.geomspace(1, 1e6, 200)
    rows = [analysis.pd.DataFrame({"sweep": "s", "activation": "a", "projection": "sphere",
                                   "latent": "rademacher", "correlated": False, "beta_u": 0.0,
                                   "beta_v": math.inf, "t": 0.3, "N": 16, "dynamics": kind,
                                   "n": n, "mean": 0.1 * np.log(n), "std": 0.2, "paths": 100})
            for kind in ("sde", "drift")]
    pred = analysis.predicted_thresholds(analysis.pd.concat(rows), 0.5, ci=0.9)
    z = 1.6448536269514722 * 0.02
    np.testing.assert_allclose(pred.loc[0, ["n_star_pred_lo", "n_star_pred", "n_star_pred_hi",
                                            "n_star_drift"]].astype(float),
                               np.exp([(0.5 - z) / 0.1, 5, (0.5 + z) / 0.1, 5]), rtol=1e-3)


def test_recheck_scales_lr_and_budget_and_compares_each_factor():
    """The miss check re-runs one cell with more seeds at lr × f (budget ÷ f), simulation and
    SDE alike: one row per factor, the lr and the budget scaled, the n* of both moving up."""
    opts = {"level": 0.3, "bootstrap": {"samples": 50, "seed": 0, "ci": 0.9}}
    table = threshold_recheck.recheck(SPEC, "cum", 16, 24, [1.0, 0.5], opts,
                                      {"paths": 16, "seed": 0})
    assert list(table["lr_factor"]) == [1.0, 0.5] and list(table["seeds"]) == [24, 24]
    np.testing.assert_allclose(table["lr"], [sweeps.learning_rate(SPEC, 16) * f for f in (1, .5)])
    assert list(table["samples"]) == [24 * round(3 * 16**3 / f) for f in (1, 0.5)]
    assert (table["n_star"].diff().iloc[1:] > 0).all()
    assert (table["n_star_pred"].diff().iloc[1:] > 0).all()
    assert (table["n_star_pred_lo"] <= table["n_star_pred"]).all()
    assert (table["n_star_pred"] <= table["n_star_pred_hi"]).all()
    assert "| sigma_star | 0.5 | 24 |" in threshold_recheck.markdown(table, 0.9)
    with pytest.raises(ValueError, match="lr factor"):
        threshold_recheck.scaled_spec(SPEC, 0.0, 24)


def test_recheck_script_writes_the_table_and_names_a_bad_sweep(tmp_path):
    cmd = [sys.executable, "scripts/mcm_recheck.py", "--config", "config/test/mcm.yaml"]
    out = tmp_path / "recheck.parquet"
    run = subprocess.run([*cmd, "cum", "8", "--seeds", "4", "--lr-factors", "1", "--paths", "8",
                          "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    table = analysis.pd.read_parquet(out)
    assert list(table["N"]) == [8] and list(table["seeds"]) == [4]
    assert f"| sigma_star | 1 | 4 | {table['n_star'][0]:.3g} " in run.stdout
    bad = subprocess.run([*cmd, "nope", "8"], capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "sweep 'nope' is not in" in bad.stderr
    assert "allowed: cov, cum" in bad.stderr
    one = subprocess.run([*cmd, "cum", "8", "--seeds", "1", "--out", str(tmp_path / "x.parquet")],
                         capture_output=True, text=True, timeout=300)
    assert one.returncode != 0 and "at least 2 seeds" in one.stderr
    assert not (tmp_path / "x.parquet").exists()
