"""The fourier claims' decision rules on constructed passages tables (the format of
fourier/classifier/passages.parquet: N, alpha, seed, n_star with NaN = censored,
oracle_error): planted supported, refuted, two-seed, censored, failed-calibration cases."""

import math

import numpy as np
import pandas as pd
import pytest

from easy2hard.fourier import claims as fc

OPTIONS = {"level": 0.95, "refute_level": 1 - 0.05 / 25, "bootstrap": {"samples": 300, "seed": 0},
           "alpha": 0.0, "oracle_tolerance": 0.05, "min_range": 10.0, "band_tolerance": 0.25}
DECADE = (16, 32, 64, 128, 256)


def table(exponent=3.0, Ns=DECADE, seeds=8, alphas=(0.0,), speed=None, censor=None,
          one_spike=True, readout=None):
    """n* = 0.5 N^exponent × seed noise (× speed[α] at α > 0); N = 8 added as the one-spike
    task (planted error 0.15, n* far below the law); ``censor``: {(N, α): seeds censored}."""
    rng = np.random.default_rng(2)
    rows = []
    cells = [(N, 0.33) for N in Ns] + ([(8, 0.15)] if one_spike else [])
    for N, oracle in cells:
        for a in alphas:
            for s in range(seeds):
                n = 0.5 * N ** exponent * math.exp(0.1 * rng.standard_normal())
                n *= (speed or {}).get(a, 1.0) if N != 8 else 0.01
                cut = (censor or {}).get((N, a), 0)
                rows.append({"N": N, "alpha": a, "seed": s, "n_star": np.nan if s < cut else n,
                             "n_max": 4.0 * N ** 3, "error_level": 0.42, "oracle_error": oracle})
    df = pd.DataFrame(rows)
    return df if readout is None else df.assign(readout=readout)


def inputs(tmp_path, df):
    path = tmp_path / "passages.parquet"
    df.to_parquet(path)
    return {"passages": [str(path)]}


# ------------------------------------------------------------- phase_exponent

def test_cubic_law_over_a_decade_of_one_task_is_supported(tmp_path):
    ev = fc.phase_exponent(inputs(tmp_path, table()), OPTIONS)
    assert ev.verdict == "supported" and ev.estimate == pytest.approx(3.0, abs=0.05)
    assert ev.control_estimate > 3.5  # the one-spike N = 8 (another task) steepens a mixed fit
    assert "16, 32, 64, 128, 256" in ev.reason


def test_quadratic_law_is_refuted(tmp_path):
    ev = fc.phase_exponent(inputs(tmp_path, table(exponent=2.0)), OPTIONS)
    assert ev.verdict == "refuted" and ev.estimate == pytest.approx(2.0, abs=0.05)


def test_two_same_task_points_are_inconclusive(tmp_path):
    ev = fc.phase_exponent(inputs(tmp_path, table(Ns=(16, 32))), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("fit over 2 points")
    assert np.isfinite(ev.estimate)


def test_less_than_a_decade_is_inconclusive(tmp_path):
    ev = fc.phase_exponent(inputs(tmp_path, table(Ns=(16, 32, 64))), OPTIONS)
    assert ev.verdict == "inconclusive" and "less than 10×" in ev.reason


def test_two_seeds_are_inconclusive(tmp_path):
    ev = fc.phase_exponent(inputs(tmp_path, table(seeds=2)), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("2 seeds")


def test_censored_seeds_stay_censored_and_open_the_interval(tmp_path):
    """3 of 8 seeds censored at the largest N: every replicate keeps them at +inf, so the
    replicates with ≥ 4 censored have a censored median and the upper end is open; dropping
    them would close it."""
    ev = fc.phase_exponent(inputs(tmp_path, table(censor={(256, 0.0): 3})), OPTIONS)
    assert ev.hi == math.inf and ev.verdict == "inconclusive"


def test_a_censored_median_fails_calibration(tmp_path):
    ev = fc.phase_exponent(inputs(tmp_path, table(censor={(256, 0.0): 5})), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("calibration failed")


# ------------------------------------------------------------- spectrum_speeds_phase_learning

def test_the_unnormalised_readout_confounds_alpha(tmp_path):
    df = table(alphas=(0.0, 0.5), speed={0.5: 0.5})
    ev = fc.spectrum_speeds_phase_learning(inputs(tmp_path, df), OPTIONS)
    assert ev.verdict == "inconclusive" and "confounds" in ev.reason
    assert ev.estimate == pytest.approx(0.5, rel=0.1)


def test_faster_with_the_normalised_readout_is_supported(tmp_path):
    df = table(alphas=(0.0, 0.5), speed={0.5: 0.5}, readout="normalised")
    ev = fc.spectrum_speeds_phase_learning(inputs(tmp_path, df), OPTIONS)
    assert ev.verdict == "supported" and ev.hi < 1


def test_slower_with_the_normalised_readout_is_refuted(tmp_path):
    df = table(alphas=(0.0, 0.5, 1.0), speed={0.5: 2.0}, readout="normalised",
               censor={(N, 1.0): 8 for N in DECADE})
    ev = fc.spectrum_speeds_phase_learning(inputs(tmp_path, df), OPTIONS)
    assert ev.verdict == "refuted" and "α = 1: ∞" in ev.reason


def test_spectrum_claim_fails_calibration_when_alpha_zero_never_learns(tmp_path):
    df = table(alphas=(0.0, 0.5), readout="normalised", censor={(N, 0.0): 8 for N in DECADE})
    ev = fc.spectrum_speeds_phase_learning(inputs(tmp_path, df), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("calibration failed")


def test_spectrum_claim_needs_three_seeds(tmp_path):
    df = table(alphas=(0.0, 0.5), speed={0.5: 0.5}, readout="normalised", seeds=2)
    ev = fc.spectrum_speeds_phase_learning(inputs(tmp_path, df), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("2 seeds")


@pytest.mark.parametrize("N, alpha, expected", [(16, 0.5, 0.71), (32, 0.5, 0.58), (16, 1.0, 0.23),
                                                (32, 1.0, 0.11), (16, 2.0, 0.008)])
def test_readout_variance_of_the_whitened_neuron(N, alpha, expected):
    """var(h) along the planted whitened neuron, as an independent review computed it; 1 up
    to N/(N − 1) on a flat spectrum."""
    assert fc.readout_variance(N, alpha) == pytest.approx(expected, abs=0.006)
    assert fc.readout_variance(N, 0.0) == pytest.approx(N / (N - 1))


def test_both_readouts_each_claim_reads_its_own(tmp_path):
    """he4 over the decade (cubic, faster at α > 0) and the normalised readout at two N
    (quadratic, slower at α > 0): the exponent is fitted on the readout run at the most N,
    the spectrum claim decides from the normalised one."""
    he4 = table(alphas=(0.0, 0.5), speed={0.5: 0.5}, readout="he4")
    norm = table(exponent=2.0, Ns=(16, 32), alphas=(0.0, 0.5), speed={0.5: 2.0}, readout="normalised")
    path = inputs(tmp_path, pd.concat([he4, norm], ignore_index=True))
    ev = fc.phase_exponent(path, OPTIONS)
    assert ev.verdict == "supported" and ev.estimate == pytest.approx(3.0, abs=0.05)
    ev = fc.spectrum_speeds_phase_learning(path, OPTIONS)
    assert ev.verdict == "refuted" and ev.estimate == pytest.approx(2.0, rel=0.15)
