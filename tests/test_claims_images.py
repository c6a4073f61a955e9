"""The images claims' decision rules on constructed losses tables (the format of
unet/{dataset}/{run}/losses.parquet): planted supported, refuted, one- and two-seed,
failed-calibration cases."""

import numpy as np
import pandas as pd
import pytest

from easy2hard.images import claims as ic

STEPS = [1, 3, 7, 19, 52, 139, 373, 1000]
WIENER = {"test": 0.0, "meancov": 0.001, "amplitude_whitened": 0.0, "amplitude": 0.0158,
          "phase": 0.0025, "twin_amplitude_whitened": 0.0}
OPTIONS = {"level": 0.95, "refute_level": 1 - 0.05 / 25, "bootstrap": {"samples": 300, "seed": 0},
           "t": "100"}


def flat(step):
    return 0.0


def rising(start):
    """0 before ``start``, then 0.004 (step/start)^0.5: a departure that grows."""
    return lambda step: 0.0 if step < start else 0.004 * (step / start) ** 0.5


def write(tmp_path, seeds=(0, 1, 2), G=rising(52), P=rising(52), amplitude=lambda s: 0.0158,
          phase=lambda s: 0.0025, test_loss=lambda s: 1.0 / (1 + s / 20), wiener_test=0.12,
          noise=0.0002, t="100", twin=None):
    """A losses table: per seed, step and set the gap to test (+ seed noise), its s.e., the
    Wiener gaps and losses. G: meancov gap, P: amplitude_whitened gap, twin: the gap of the
    twin of amplitude_whitened (no such set when None)."""
    rng = np.random.default_rng(1)
    gaps = {"test": flat, "meancov": G, "amplitude_whitened": P, "amplitude": amplitude,
            "phase": phase, **({"twin_amplitude_whitened": twin} if twin else {})}
    rows = []
    for seed in seeds:
        for step in STEPS:
            base = test_loss(step)
            for name, gap in gaps.items():
                d = 0.0 if name == "test" else gap(step) + noise * rng.standard_normal()
                rows.append({"set": name, "loss": base + d, "diff_to_test": d,
                             "diff_to_test_se": 0.0005, "wiener_loss": wiener_test + WIENER[name],
                             "wiener_diff_to_test": WIENER[name], "wiener_diff_to_test_se": 0.001,
                             "diff_minus_wiener": d - WIENER[name], "t": t, "dataset": "d",
                             "run": "r", "seed": seed, "step": step})
    path = tmp_path / "losses.parquet"
    pd.DataFrame(rows).to_parquet(path)
    return {"losses": [str(path)]}


# ------------------------------------------------------------- gaussian_tracks_then_departs

def test_tracks_then_departs_supported_with_its_step(tmp_path):
    ev = ic.gaussian_tracks_then_departs(write(tmp_path), OPTIONS)
    assert ev.verdict == "supported" and ev.n_seeds == 3
    assert (ev.lo, ev.estimate) == (19, 52)


def test_gap_from_the_first_step_refutes_tracking(tmp_path):
    ev = ic.gaussian_tracks_then_departs(write(tmp_path, G=lambda s: 0.01), OPTIONS)
    assert ev.verdict == "refuted"


def test_a_departure_that_shrinks_afterwards_is_not_supported(tmp_path):
    # above 0 for good from step 52, but falling from 0.01 to 0.004: departs, does not grow
    ev = ic.gaussian_tracks_then_departs(
        write(tmp_path, G=lambda s: 0.0 if s < 52 else 0.01 * (52 / s) ** 0.3), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.estimate == 52
    assert "no clean track-then-depart" in ev.reason


def test_one_seed_is_inconclusive_but_estimated_from_image_sampling(tmp_path):
    ev = ic.gaussian_tracks_then_departs(write(tmp_path, seeds=(0,)), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("1 seed")
    assert "image-sampling" in ev.reason and ev.estimate == 52


def test_two_seeds_are_inconclusive(tmp_path):
    ev = ic.gaussian_tracks_then_departs(write(tmp_path, seeds=(0, 1)), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("2 seeds")


def test_an_untrained_network_fails_calibration(tmp_path):
    ev = ic.gaussian_tracks_then_departs(write(tmp_path, test_loss=lambda s: 1.0), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("calibration failed")


# ------------------------------------------------------------- clone_order
# P = amplitude_whitened gap, A = G − P (G: meancov gap, or the twin's gap where evaluated);
# the first departure of P or A is at step 52, so the deciding checkpoints are 19, 52, 139.

def before_52(value, then):
    """``value`` at step 19 (the checkpoint before the departure), ``then`` elsewhere."""
    return lambda step: value if step == 19 else then(step)


def test_phase_part_first_is_supported_with_a_positive_difference(tmp_path):
    # P departs at 52, A = 0 after; at 19, A = −0.002: P − A > 0 at 19, 52 and 139
    ev = ic.clone_order(write(tmp_path, P=rising(52), G=before_52(-0.002, rising(52))), OPTIONS)
    assert ev.verdict == "supported" and "phases before" in ev.reason and ev.lo > 0
    assert "step 19: " in ev.reason and "step 139: " in ev.reason and "step 373" not in ev.reason


def test_amplitude_part_first_is_also_supported(tmp_path):
    # A departs at 52 (P stays 0 until 373); at 19, P = −0.002: P − A < 0 at 19, 52 and 139
    P = before_52(-0.002, rising(373))
    G = lambda s: P(s) + 3 * rising(52)(s)  # noqa: E731
    ev = ic.clone_order(write(tmp_path, P=P, G=G), OPTIONS)
    assert ev.verdict == "supported" and "per-image amplitudes before" in ev.reason and ev.hi < 0


def test_a_difference_not_beyond_its_interval_before_the_departure_is_inconclusive(tmp_path):
    # P − A > 0 beyond its interval at 52 and 139 but 0 at 19: not kept over the deciding
    # checkpoints, so not decided (and never refuted: either order is a prediction)
    ev = ic.clone_order(write(tmp_path, P=rising(52), G=rising(52)), OPTIONS)
    assert ev.verdict == "inconclusive" and "P − A changes sign or includes 0" in ev.reason


def test_equal_parts_are_inconclusive(tmp_path):
    # G = 2 P: A = P, the difference is 0 at every checkpoint
    ev = ic.clone_order(write(tmp_path, P=rising(52), G=lambda s: 2 * rising(52)(s)), OPTIONS)
    assert ev.verdict == "inconclusive"


def test_a_difference_that_flips_after_the_departure_is_inconclusive(tmp_path):
    # P departs first (52) and leads at 19 and 52, but A overtakes it at 139
    G = lambda s: before_52(-0.002, rising(52))(s) + (0.02 if s >= 139 else 0.0)  # noqa: E731
    ev = ic.clone_order(write(tmp_path, P=rising(52), G=G), OPTIONS)
    assert ev.verdict == "inconclusive"


def test_clone_order_measures_amplitudes_against_the_twin_where_evaluated(tmp_path):
    # both parts from step 1: P = 0.004; against meancov A = 0.02 − P (amplitudes first),
    # against the twin of amplitude_whitened A = −0.0005 (never positive: phases first)
    P, G = (lambda s: 0.004), (lambda s: 0.02)
    ev = ic.clone_order(write(tmp_path, P=P, G=G), OPTIONS)
    assert ev.verdict == "supported" and "per-image amplitudes before" in ev.reason
    ev = ic.clone_order(write(tmp_path, P=P, G=G, twin=lambda s: 0.0035), OPTIONS)
    assert ev.verdict == "supported" and "phases before" in ev.reason
    assert "twin_amplitude_whitened" in ev.reason and "first departure at step 1 " in ev.reason


@pytest.mark.parametrize("seeds", [(0,), (0, 1)])
def test_clone_order_needs_three_seeds(tmp_path, seeds):
    ev = ic.clone_order(write(tmp_path, seeds=seeds, P=rising(52),
                              G=before_52(-0.002, rising(52))), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith(f"{len(seeds)} seed")
    assert ev.estimate > 0 and ev.n_seeds == len(seeds)


@pytest.mark.parametrize("claim", [ic.gaussian_tracks_then_departs, ic.clone_order,
                                   ic.pairwise_first])
def test_a_noise_level_absent_from_the_table_is_inconclusive(tmp_path, claim):
    ev = claim(write(tmp_path), OPTIONS | {"t": "500"})
    assert ev.verdict == "inconclusive" and "k = 500 not evaluated" in ev.reason


# ------------------------------------------------------------- pairwise_first

def toward(step):
    """The U-Net's amplitude gap rising to its Wiener gap by step 19."""
    return min(1.0, step / 19) * 0.0158


def test_pairwise_first_supported_when_the_gap_moves_to_wiener_first(tmp_path):
    ev = ic.pairwise_first(write(tmp_path, amplitude=toward), OPTIONS)
    assert ev.verdict == "supported" and ev.estimate == pytest.approx(0.0158, abs=0.002)


def test_pairwise_first_refuted_when_the_gap_moves_away(tmp_path):
    ev = ic.pairwise_first(write(tmp_path, amplitude=lambda s: -toward(s)), OPTIONS)
    assert ev.verdict == "refuted"


def test_pairwise_first_needs_three_seeds(tmp_path):
    ev = ic.pairwise_first(write(tmp_path, seeds=(0, 1), amplitude=toward), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("2 seeds")
    assert ev.estimate == pytest.approx(0.0158, abs=0.002)


def test_pairwise_first_needs_two_checkpoints_before_the_departure(tmp_path):
    ev = ic.pairwise_first(write(tmp_path, amplitude=toward, P=rising(3)), OPTIONS)
    assert ev.verdict == "inconclusive" and "fewer than two checkpoints" in ev.reason


def test_pairwise_first_without_any_departure_reads_up_to_the_last_step(tmp_path):
    ev = ic.pairwise_first(write(tmp_path, amplitude=toward, P=flat, G=flat), OPTIONS)
    assert "no higher-order departure by step 1000" in ev.reason


# ------------------------------------------------------------- unet_beats_wiener

def two_levels(tmp_path, loss_800, seeds=(0, 1, 2), steps_800=None):
    """k = 100 below Wiener (0.11 against 0.12) and k = 800 at ``loss_800`` against 0.01
    (evaluated at ``steps_800`` only when given: a sparse k)."""
    a = pd.read_parquet(write(tmp_path, seeds=seeds,
                              test_loss=lambda s: 0.11 if s == 1000 else 0.5)["losses"][0])
    b = a.assign(t="800", loss=a["loss"] - 0.11 + loss_800, wiener_loss=a["wiener_loss"] - 0.11)
    if steps_800 is not None:
        b = b[b["step"].isin(steps_800)]
    path = tmp_path / "both.parquet"
    pd.concat([a, b]).to_parquet(path)
    return {"losses": [str(path)]}


def test_beats_wiener_at_every_k_is_supported(tmp_path):
    ev = ic.unet_beats_wiener(two_levels(tmp_path, 0.005), OPTIONS)
    assert ev.verdict == "supported" and ev.estimate == pytest.approx(0.11 / 0.12)
    assert "k = 800: 0.5 [" in ev.reason and ev.reason.count("(beats Wiener)") == 2


def test_an_unconverged_high_noise_level_refutes(tmp_path):
    ev = ic.unet_beats_wiener(two_levels(tmp_path, 0.4), OPTIONS)
    assert ev.verdict == "refuted" and ev.estimate == pytest.approx(40, rel=0.05)
    assert "k = 100: 0.917 [" in ev.reason and "(beats Wiener)" in ev.reason
    assert "k = 800: 40 [" in ev.reason and "(above Wiener)" in ev.reason
    assert ev.reason.endswith("unconverged (not below Wiener): k = 800")


def test_a_level_not_evaluated_at_the_last_step_is_censored(tmp_path):
    # k = 800 is evaluated up to step 373 only, where it is 39.5 × Wiener (k = 100 beats it):
    # an earlier step decides nothing about the last one, neither supported nor refuted
    ev = ic.unet_beats_wiener(two_levels(tmp_path, 0.005, steps_800=[1, 19, 373]), OPTIONS)
    assert ev.verdict == "inconclusive" and ev.estimate == pytest.approx(0.11 / 0.12)
    assert "k = 800: 39.5 [39.5, 39.5] (censored: last evaluated at step 373)" in ev.reason
    assert ev.reason.endswith("censored: k = 800")


@pytest.mark.parametrize("seeds", [(0,), (0, 1)])
def test_fewer_than_three_seeds_state_each_level_from_its_value(tmp_path, seeds):
    ev = ic.unet_beats_wiener(two_levels(tmp_path, 0.4, seeds=seeds), OPTIONS)
    n = f"{len(seeds)} seed{'s' * (len(seeds) > 1)}"
    assert ev.verdict == "inconclusive" and ev.reason.startswith(n)
    assert f"(below Wiener, {n})" in ev.reason and f"(above Wiener, {n})" in ev.reason


# ------------------------------------------------------------- config/images_order.yaml

def test_the_order_config_plans_the_clone_claims_and_their_figure_only():
    """config/images_order.yaml: the images stage (with the Fourier stage's image part, for the
    gaps figure) and the claims only; the clone claims read its run at k = 100 on at least 5
    seeds, 4000 images and 12 checkpoints from step 10 (the issue's dense grid)."""
    from easy2hard.pipeline import config as cfgmod
    from easy2hard.pipeline import plan
    from easy2hard.pipeline.plan import images as plan_images

    from .conftest import REPO

    cfg = cfgmod.load(REPO / "config/images_order.yaml")
    assert {s.name for s in plan.enabled_stages(cfg)} == {"images", "fourier", "claims"}
    dataset, run = plan_images.claim_run(cfg)
    spec = cfg["unet"]["runs"][run]
    assert plan_images.claim_settings(cfg) == {"t": "100"}
    assert len(spec["seeds"]) >= 5 and spec["evaluation"]["n_images"] >= 4000
    assert spec["checkpoints"]["n"] >= 12 and spec["checkpoints"]["first"] == 10
    assert "twin_amplitude_whitened" in spec["evaluation"]["sets"]
    outputs = plan.final_output(cfg, cfg["results_dir"])
    assert any(p.endswith(f"fourier_clone_gaps_{dataset}.png") for p in outputs)
    assert not any("/mcm/" in p or "/theory/" in p for p in outputs)
