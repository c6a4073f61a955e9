"""The MCM figures draw the simulated curves and the overlap SDE's predictions, and return
what they drew (the figure contract). Small real inputs: a reduced-engine sweep of two N
(16 seeds) and its predicted curves (32 paths)."""

import math

import numpy as np
import pytest

from easy2hard.core.tables import write_parquet
from easy2hard.mcm import analysis, plots, sweeps
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
