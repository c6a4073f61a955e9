"""The random_features stage's claims on constructed tables in the real table format
(easy2hard.random_features.claims; docs/stages/random_features.md, "Claims")."""

import numpy as np
import pandas as pd
import pytest

from easy2hard.random_features import asymptotics, claims, regimes

OPTIONS = {"level": 0.95, "refute_level": 1 - 0.05 / 25,
           "bootstrap": {"samples": 500, "seed": 0}, "tolerance": 0.05}
ONSET = {**OPTIONS, "activation": "tanh", "t": 0.1, "ridge_off": 0.01, "band": [0.5, 1.0],
         "true_tolerance": 0.05, "points": 16}
CELLS = ((2.0, 0.5), (2.0, 4.0))
LAM, T = 0.01, 0.1


@pytest.fixture(scope="module")
def limits():
    return {c: asymptotics.errors(asymptotics.Problem(*c, LAM, T, "tanh")) for c in CELLS}


def convergence_rows(limits, dims, seeds, bias=0.0, slope=0.3, sd=0.002) -> pd.DataFrame:
    """Seeds whose errors are limit × (1 + bias) + slope·limit·32/d + noise."""
    rng = np.random.default_rng(0)
    rows = []
    for (psi_n, psi_p), lim in limits.items():
        for d in dims:
            for seed in seeds:
                row = {"curve": "convergence", "d": d, "seed": seed, "psi_n": psi_n,
                       "psi_p": psi_p, "lambda": LAM, "m": 1.0, "t": T, "activation": "tanh"}
                for q in ("test_error", "train_error"):
                    row[q] = lim[q] * (1 + bias + slope * 32 / d + sd * rng.standard_normal())
                rows.append(row)
    return pd.DataFrame(rows)


def _paths(tmp_path, df, by="d"):
    out = []
    for key, g in df.groupby(by):
        path = tmp_path / f"{by}{key}.parquet"
        g.to_parquet(path)
        out.append(str(path))
    return out


def test_m1_limit_supported_when_the_simulations_converge_as_one_over_d(tmp_path, limits):
    paths = _paths(tmp_path, convergence_rows(limits, (32, 64, 128, 256), range(6)))
    ev = claims.m1_limit({"convergence": paths}, OPTIONS)
    assert ev.verdict == "supported", ev.reason
    assert abs(ev.estimate) < 0.01 and ev.n_seeds == 6
    assert ev.control_estimate == pytest.approx(0.3, abs=0.01)   # the d = 32 gap


def test_m1_limit_refuted_when_the_intercept_misses_the_limit(tmp_path, limits):
    paths = _paths(tmp_path, convergence_rows(limits, (32, 64, 128, 256), range(6), bias=0.2))
    ev = claims.m1_limit({"convergence": paths}, OPTIONS)
    assert ev.verdict == "refuted", ev.reason
    assert ev.estimate == pytest.approx(0.2, abs=0.02)


def test_m1_limit_two_seeds_inconclusive(tmp_path, limits):
    paths = _paths(tmp_path, convergence_rows(limits, (32, 64, 128), range(2)))
    ev = claims.m1_limit({"convergence": paths}, OPTIONS)
    assert ev.verdict == "inconclusive" and "2 seeds" in ev.reason


def test_m1_limit_two_dimensions_inconclusive(tmp_path, limits):
    paths = _paths(tmp_path, convergence_rows(limits, (32, 64), range(6)))
    ev = claims.m1_limit({"convergence": paths}, OPTIONS)
    assert ev.verdict == "inconclusive" and "2 points" in ev.reason


def test_m1_limit_a_curve_that_is_not_one_over_d_is_not_supported(tmp_path, limits):
    df = convergence_rows(limits, (32, 64, 128, 256), range(6), slope=0.0)
    bump = df["d"] == 64                               # a bump no 1/d term fits
    df.loc[bump, ["test_error", "train_error"]] *= 1.05
    ev = claims.m1_limit({"convergence": _paths(tmp_path, df)}, OPTIONS)
    assert ev.verdict != "supported" and "χ²" in ev.reason


# ---------------------------------------------------------------- memorisation_onset

def phase_rows(true_ratio=0.0, lambdas=(1e-4, 1e-2)) -> pd.DataFrame:
    """A phase table at (tanh, t = 0.1): m = 1 gap ratios crossing ½ at ψ_p = 0.6 ψ_n."""
    rows = []
    for lam in lambdas:
        for psi_n in (0.5, 1.0, 2.0):
            for psi_p in (0.25, 0.5, 1.0, 2.0, 4.0, 8.0):
                for seed in (0, 1):
                    rows.append({"activation": "tanh", "t": T, "d": 32, "m": 1.0, "seed": seed,
                                 "lambda": lam, "psi_n": psi_n, "psi_p": psi_p,
                                 "gap_ratio": 0.5 * psi_p / (0.6 * psi_n),
                                 "gap_ratio_true": true_ratio})
    return pd.DataFrame(rows)


def test_memorisation_onset_supported_below_p_equals_n_and_off_at_ridge(tmp_path):
    ev = claims.memorisation_onset({"phase": _paths(tmp_path, phase_rows(), by="t")}, ONSET)
    assert ev.verdict == "supported", ev.reason
    assert 0.5 <= ev.lo <= ev.hi <= 1.0 and ev.n_seeds == 0        # deterministic
    assert ev.control_estimate == pytest.approx(0.6, rel=0.05)      # the finite-d crossings


def test_memorisation_onset_refuted_outside_the_band(tmp_path):
    paths = _paths(tmp_path, phase_rows(), by="t")
    ev = claims.memorisation_onset({"phase": paths}, {**ONSET, "band": [0.9, 1.0]})
    assert ev.verdict == "refuted", ev.reason


def test_memorisation_onset_refuted_when_the_ridge_does_not_switch_it_off(tmp_path):
    paths = _paths(tmp_path, phase_rows(), by="t")
    ev = claims.memorisation_onset({"phase": paths}, {**ONSET, "ridge_off": 1e-4})
    assert ev.verdict == "refuted", ev.reason


def test_memorisation_onset_failed_calibration_of_the_true_score(tmp_path):
    paths = _paths(tmp_path, phase_rows(true_ratio=0.3), by="t")
    ev = claims.memorisation_onset({"phase": paths}, ONSET)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("calibration failed")


def test_the_limit_gap_ratio_stays_below_half_at_ridge_one_hundredth():
    """Independent reference (the review of issue 33): 0.27 at ψ_n = 1, 0.155 at ψ_n = 4."""
    table = regimes.onset_table([1.0, 4.0], (0.25, 16.0), [1e-2], T, "tanh", 40)
    assert (table["max_ratio"] < 0.5).all() and table["cross"].isna().all()
    assert table["max_ratio"].tolist() == pytest.approx([0.27, 0.155], abs=0.005)


def test_onset_figure_draws_the_largest_ratio_against_lambda(tmp_path):
    """The λ panel: at t = 0.1 the largest d = ∞ ratio falls with λ and is below ½ at 10⁻²
    (the figure behind memorisation_onset)."""
    import matplotlib.pyplot as plt

    from easy2hard.random_features import plots

    paths = _paths(tmp_path, phase_rows(), by="t")
    fig, drawn = plots.onset({"phase": paths}, {"activation": "tanh"})
    fig.savefig(tmp_path / "onset.png")             # lays out even where nothing crosses
    plt.close(fig)
    table = drawn["onset"]
    top = table.groupby("lambda")["max_ratio"].max()
    assert list(top.index) == [1e-4, 1e-2] and top[1e-4] > 0.5 > top[1e-2]
    assert table.loc[table["lambda"] == 1e-2, "cross"].isna().all()


def test_onset_figure_lays_out_when_nothing_crosses(tmp_path):
    import matplotlib.pyplot as plt

    from easy2hard.random_features import plots

    paths = _paths(tmp_path, phase_rows(lambdas=(1e-2,)), by="t")
    fig, drawn = plots.onset({"phase": paths}, {"activation": "tanh"})
    fig.savefig(tmp_path / "onset.png")
    plt.close(fig)
    assert drawn["onset"]["cross"].isna().all()
