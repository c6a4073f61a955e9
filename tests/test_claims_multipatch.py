"""The multipatch claims' decision rules on constructed analysis tables (the format of
multipatch/synthetic/{steps,runs}.parquet): planted supported, refuted, two-seed, censored
and failed-calibration cases."""

import math

import numpy as np
import pandas as pd
import pytest

from easy2hard.multipatch import claims as mc

GRID = (0.1, 0.3, 1.0, 3.0, 10.0)
OPTIONS = {"level": 0.95, "refute_level": 1 - 0.05 / 25, "bootstrap": {"samples": 300, "seed": 0},
           "m": 20, "exponents": {"diffusion": 0.5, "classification": 1.0}, "growth_factor": 10.0,
           "growth_factor_check": 3.0, "tolerance": 0.2, "switch_decade": 10.0}
KEYS = {"m": 20, "sparsity": 1.0}


def steps_table(growth_slope=1.0, seeds=5, stalled=(), switch=2.7, switch_slope=1.8):
    """Diffusion: alignment 1 at step 0 (ratio 0.3 √n·SNR²), 5 at step 1, 20 at step 2 (ratio
    0.4 (n·SNR²)^growth_slope at both), 20 at step 3; ``stalled`` n·SNR² never grow.
    Classification: last-step ratio (n·SNR²/switch)^switch_slope."""
    rng = np.random.default_rng(3)
    rows = []
    for seed in range(seeds):
        for n in GRID:
            noise = math.exp(0.05 * rng.standard_normal())
            grown = 0.4 * n ** growth_slope * noise
            for step, align in enumerate((1.0, 5.0, 20.0, 20.0)):
                align = 1.0 if n in stalled else align
                ratio = 0.3 * math.sqrt(n) if step == 0 else grown
                rows.append({"objective": "diffusion", "width_exponent": 0.5, "seed": seed,
                             "n_snr2": n, "step": step, "flow_time": 10.0 * step,
                             "align_mu1": align, "ratio": ratio, **KEYS})
            for step, ratio in enumerate((0.1 * math.sqrt(n), (n / switch) ** switch_slope * noise)):
                rows.append({"objective": "classification", "width_exponent": 1.0, "seed": seed,
                             "n_snr2": n, "step": step, "flow_time": float(step),
                             "align_mu1": 1.0, "ratio": ratio, **KEYS})
    return pd.DataFrame(rows)


def runs_table(final_slope=1.0, seeds=5, converged=GRID, classifies=True):
    rng = np.random.default_rng(4)
    rows = []
    for seed in range(seeds):
        for n in GRID:
            rows.append({"objective": "diffusion", "width_exponent": 0.5, "seed": seed, "n_snr2": n,
                         "converged": n in converged,
                         "ratio_final": n ** final_slope * math.exp(0.05 * rng.standard_normal()),
                         "test_loss_final": 1.008, "classifies": np.nan, **KEYS})
            rows.append({"objective": "classification", "width_exponent": 1.0, "seed": seed,
                         "n_snr2": n, "converged": True, "ratio_final": np.nan,
                         "test_loss_final": np.nan, "classifies": 3.0 if classifies else np.nan,
                         **KEYS})
    return pd.DataFrame(rows)


def inputs(tmp_path, steps=None, runs=None):
    out = {}
    for name, df in (("steps", steps), ("runs", runs)):
        if df is not None:
            path = tmp_path / f"{name}.parquet"
            df.to_parquet(path)
            out[name] = [str(path)]
    return out


# ------------------------------------------------------------- growth_law

def test_linear_growth_law_is_supported_and_differs_from_initialisation(tmp_path):
    ev = mc.growth_law(inputs(tmp_path, steps_table()), OPTIONS)
    assert ev.verdict == "supported" and ev.estimate == pytest.approx(1.0, abs=0.05)
    assert ev.control_estimate == pytest.approx(0.5, abs=1e-6)


def test_square_root_growth_is_refuted(tmp_path):
    ev = mc.growth_law(inputs(tmp_path, steps_table(growth_slope=0.5)), OPTIONS)
    assert ev.verdict == "refuted"


def test_growth_law_needs_three_seeds(tmp_path):
    ev = mc.growth_law(inputs(tmp_path, steps_table(seeds=2)), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("2 seeds")


def test_stalled_runs_leave_the_range_and_fail_calibration(tmp_path):
    """n·SNR² whose alignment never grows 10× are out of the fitted range (censored, not
    read as an end of growth); with 2 left the claim cannot be calibrated."""
    ev = mc.growth_law(inputs(tmp_path, steps_table(stalled=(0.1, 0.3, 1.0))), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("calibration failed")
    ev = mc.growth_law(inputs(tmp_path, steps_table(stalled=(0.1,))), OPTIONS)
    assert ev.verdict == "supported" and "0.3..10 (4 values)" in ev.reason


# ------------------------------------------------------------- stationary_state

def test_stationary_ratio_proportional_to_n_snr2_is_supported(tmp_path):
    ev = mc.stationary_state(inputs(tmp_path, runs=runs_table()), OPTIONS)
    assert ev.verdict == "supported" and ev.control_estimate == pytest.approx(0.008)


def test_a_flat_end_state_is_refuted(tmp_path):
    ev = mc.stationary_state(inputs(tmp_path, runs=runs_table(final_slope=0.1)), OPTIONS)
    assert ev.verdict == "refuted" and ev.estimate == pytest.approx(0.1, abs=0.05)


def test_unconverged_runs_fail_calibration(tmp_path):
    ev = mc.stationary_state(inputs(tmp_path, runs=runs_table(converged=(3.0, 10.0))), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("calibration failed")


def test_stationary_state_needs_three_seeds(tmp_path):
    ev = mc.stationary_state(inputs(tmp_path, runs=runs_table(seeds=2)), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("2 seeds")


# ------------------------------------------------------------- literal_setting

def literal_table(diverge=(), final_slope=1.0, moving=(), seeds=3):
    """The literal setting's alignment table: loss 1 → 0.9 then flat, final ratio
    0.5 (n·SNR²)^final_slope; runs (seed, n·SNR²) in ``diverge`` turn NaN at step 2, those in
    ``moving`` still fall at the last step."""
    rng, rows = np.random.default_rng(5), []
    for seed in range(seeds):
        for n in (0.75, 6.75):
            ratio = 0.5 * n ** final_slope * math.exp(0.05 * rng.standard_normal())
            for step, loss in enumerate((1.0, 0.95, 0.9, 0.9)):
                loss = loss - 0.05 * step if (seed, n) in moving else loss
                bad = (seed, n) in diverge and step >= 2
                rows.append({"objective": "diffusion", "seed": seed, "n_snr2": n, "step": step,
                             "flow_time": 1000.0 * step, "loss": math.nan if bad else loss,
                             "ratio": math.nan if bad else (0.3 * math.sqrt(n) if step == 0 else ratio),
                             "loss_reading": "sum", "lr_literal": 0.5, **KEYS})
    return pd.DataFrame(rows)


def literal_inputs(tmp_path, table, runs=None):
    path = tmp_path / "literal.parquet"
    table.to_parquet(path)
    return {"literal": [str(path)], **inputs(tmp_path, runs=runs_table() if runs is None else runs)}


LITERAL_OPTIONS = {**OPTIONS, "loss_fraction": 0.01}
EVERY_RUN = tuple((s, n) for s in range(3) for n in (0.75, 6.75))


def test_a_literal_setting_that_diverges_in_every_seed_has_no_stationary_state(tmp_path):
    ev = mc.literal_setting(literal_inputs(tmp_path, literal_table(diverge=EVERY_RUN)), LITERAL_OPTIONS)
    assert ev.verdict == "refuted" and "6 of 6 runs diverged" in ev.reason
    ev = mc.literal_setting(literal_inputs(tmp_path, literal_table(diverge=((0, 6.75), (1, 0.75)))),
                            LITERAL_OPTIONS)
    assert ev.verdict == "inconclusive" and "some runs not stationary" in ev.reason


def test_a_literal_stationary_state_proportional_to_n_snr2_is_supported(tmp_path):
    ev = mc.literal_setting(literal_inputs(tmp_path, literal_table()), LITERAL_OPTIONS)
    assert ev.verdict == "supported" and ev.estimate == pytest.approx(1.0, abs=0.05)
    assert ev.control_estimate == pytest.approx(0.5, abs=1e-6)
    ev = mc.literal_setting(literal_inputs(tmp_path, literal_table(final_slope=0.2)), LITERAL_OPTIONS)
    assert ev.verdict == "refuted"
    ev = mc.literal_setting(literal_inputs(tmp_path, literal_table(moving=((2, 0.75),))), LITERAL_OPTIONS)
    assert ev.verdict == "inconclusive"


def test_literal_setting_needs_converging_mean_runs_and_three_seeds(tmp_path):
    ev = mc.literal_setting(literal_inputs(tmp_path, literal_table(diverge=EVERY_RUN),
                                           runs_table(converged=(0.1,))), LITERAL_OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("calibration failed")
    ev = mc.literal_setting(literal_inputs(tmp_path, literal_table(seeds=2)), LITERAL_OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("2 seeds")


# ------------------------------------------------------------- classifier_switch

def test_switch_near_one_is_supported(tmp_path):
    ev = mc.classifier_switch(inputs(tmp_path, steps_table(), runs_table()), OPTIONS)
    assert ev.verdict == "supported" and ev.estimate == pytest.approx(2.7, rel=0.05)


def test_switch_far_above_one_is_refuted(tmp_path):
    ev = mc.classifier_switch(inputs(tmp_path, steps_table(switch=9.5, switch_slope=8.0),
                                     runs_table()), {**OPTIONS, "switch_decade": 3.0})
    assert ev.verdict == "refuted"


def test_a_seed_that_never_switches_is_censored(tmp_path):
    ev = mc.classifier_switch(inputs(tmp_path, steps_table(switch=50.0), runs_table()), OPTIONS)
    assert ev.verdict == "inconclusive" and "censored" in ev.reason


def test_classifiers_that_never_learn_fail_calibration(tmp_path):
    ev = mc.classifier_switch(inputs(tmp_path, steps_table(), runs_table(classifies=False)), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("calibration failed")


def test_classifier_switch_needs_three_seeds(tmp_path):
    ev = mc.classifier_switch(inputs(tmp_path, steps_table(seeds=2), runs_table(seeds=2)), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("2 seeds")


# ------------------------------------------------------------- the claims' inputs on real configs

@pytest.mark.parametrize("stage", ["images", "fourier", "multipatch"])
@pytest.mark.parametrize("config", ["config/config.yaml", "config/paper.yaml"])
def test_claim_inputs_are_tables_the_stage_makes(stage, config):
    """Every table a claim reads is a target of its stage (some rule makes it), and the
    default and paper configs give every claim of these stages its tables."""
    from easy2hard.pipeline.config import load
    from easy2hard.pipeline.plan import STAGES

    # paper scale is refused on a CPU-only machine (cost limit): plan it for a GPU
    cfg = {**load(config, {"device": "cuda"}), "results_dir": "R"}
    st = next(s for s in STAGES if s.name == stage)
    made = set(st.targets(cfg, "R"))
    for claim in st.claims:
        paths = [p for group in claim.inputs(cfg, "R").values() for p in group]
        assert paths and set(paths) <= made, claim.id
