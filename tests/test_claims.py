"""The decision rules of the claims (easy2hard.core.claims) on constructed data, and the
mechanics that turn evaluations into claims/<stage>.parquet, claims.parquet, the Claims page,
docs/claims.md and the comparison of two runs."""

import math

import numpy as np
import pandas as pd
import pytest

from easy2hard.core import claims as rules
from easy2hard.core.claims import Evaluation
from easy2hard.pipeline import claims as job
from easy2hard.pipeline import claims_report as shown

LEVELS = {"level": 0.95, "refute_level": 1 - 0.05 / 25,
          "bootstrap": {"samples": 2000, "seed": 0}}


def slope_claim(inputs: dict, options: dict) -> Evaluation:
    """A planted slope claim in the shape of the stages' ones: per x, one value per seed
    (``inf`` = censored); supported if the slope lies in [1.9, 2.1]."""
    df = pd.concat(pd.read_parquet(p) for p in inputs["cells"])
    lv = rules.Levels.from_options(options)
    per_x = [g["y"].to_numpy() for _, g in df.groupby("x")]
    xs = sorted(df["x"].unique())
    n_seeds = int(df.groupby("x")["seed"].nunique().min())
    if reason := rules.gate(n_seeds=n_seeds, calibrated=bool(df["learned"].all()),
                            calibration="a cell never learned", points=len(xs)):
        return Evaluation("inconclusive", reason, n_seeds=n_seeds)
    est, lo, hi = rules.slope_interval(xs, per_x, lv.level, lv.samples, lv.seed)
    _, wlo, whi = rules.slope_interval(xs, per_x, lv.refute_level, lv.samples, lv.seed)
    verdict, reason = rules.band_verdict((lo, hi), (wlo, whi), (1.9, 2.1), "slope")
    return Evaluation(verdict, reason, est, lo, hi, n_seeds=n_seeds)


def _cells(tmp_path, slope=2.0, seeds=10, noise=0.05, censor=None, learned=True):
    rng = np.random.default_rng(1)
    rows = []
    for x in (16, 32, 64, 128):
        for s in range(seeds):
            y = x ** slope * math.exp(noise * rng.standard_normal())
            rows.append({"x": x, "seed": s, "y": math.inf if censor and x == censor and s % 2
                         else y, "learned": learned})
    path = tmp_path / "cells.parquet"
    pd.DataFrame(rows).to_parquet(path)
    return {"cells": [str(path)]}


# ---------------------------------------------------------------- the five planted cases

def test_planted_slope_is_supported(tmp_path):
    ev = slope_claim(_cells(tmp_path), LEVELS)
    assert ev.verdict == "supported", ev.reason
    assert ev.lo <= 2.0 <= ev.hi and ev.hi - ev.lo < 0.2


def test_wrong_slope_is_refuted(tmp_path):
    ev = slope_claim(_cells(tmp_path, slope=3.0), LEVELS)
    assert ev.verdict == "refuted", ev.reason


def test_two_seeds_are_inconclusive_whatever_the_numbers(tmp_path):
    ev = slope_claim(_cells(tmp_path, seeds=2), LEVELS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("2 seeds")
    assert slope_claim(_cells(tmp_path, seeds=3), LEVELS).verdict == "supported"


def test_censored_cells_stay_censored_and_open_the_interval(tmp_path):
    """Half the seeds at the largest x never crossed: the median there is censored in many
    replicates, so the interval's upper end is open and the claim cannot be supported."""
    ev = slope_claim(_cells(tmp_path, censor=128), LEVELS)
    assert ev.hi == math.inf and ev.verdict == "inconclusive", ev
    # dropping the censored seeds instead would have supported it: the rule matters
    kept = {"cells": _cells(tmp_path)["cells"]}
    assert slope_claim(kept, LEVELS).verdict == "supported"


def test_failed_calibration_is_inconclusive_not_refuted(tmp_path):
    ev = slope_claim(_cells(tmp_path, slope=3.0, learned=False), LEVELS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("calibration failed")


# ---------------------------------------------------------------- the rules themselves

def test_seed_interval_is_t_below_eight_seeds_and_bootstrap_from_eight():
    v = np.array([1.0, 2.0, 4.0])
    mean, lo, hi = rules.seed_interval(v, 0.95)
    half = 4.302652729911275 * v.std(ddof=1) / math.sqrt(3)  # t_{0.975, 2}
    assert (mean, lo, hi) == pytest.approx((7 / 3, 7 / 3 - half, 7 / 3 + half))
    w = np.random.default_rng(0).standard_normal(400) + 5
    mean, lo, hi = rules.seed_interval(w, 0.95, samples=4000, seed=1)
    se = w.std(ddof=1) / 20
    # a bootstrap interval of the mean: about ±1.96 se, up to the bootstrap's own noise
    assert hi - lo == pytest.approx(2 * 1.96 * se, rel=0.1)
    assert rules.seed_interval(w, 0.95, samples=4000, seed=1) == (mean, lo, hi)


def test_censored_median_never_interpolates_with_infinity():
    assert rules.censored_median([1, 2, math.inf]) == 2
    assert rules.censored_median([1, math.inf, math.inf]) == math.inf
    assert rules.quantiles([1, 2, math.inf, math.inf], 0.5) == (1.0, math.inf)
    assert rules.quantiles([1, 2, math.nan], 0.9) == (-math.inf, math.inf)


def test_log_slope_is_censored_in_the_direction_the_data_allow():
    assert rules.log_slope([1, 2, 4], [1, 4, 16]) == pytest.approx(2)
    assert rules.log_slope([1, 2, 4], [1, 4, math.inf]) == math.inf
    assert rules.log_slope([1, 2, 4], [math.inf, 4, 16]) == -math.inf
    assert math.isnan(rules.log_slope([1, 2, 4], [1, math.inf, 16]))
    Y = [[1, 4, 16], [1, 4, math.inf], [2, 4, 8]]
    np.testing.assert_allclose(rules.log_slopes([1, 2, 4], Y), [2, math.inf, 1])


def test_band_and_order_verdicts():
    band = (0.9, 1.1)
    assert rules.band_verdict((0.95, 1.05), (0.9, 1.1), band)[0] == "supported"
    assert rules.band_verdict((1.2, 1.3), (1.15, 1.35), band)[0] == "refuted"
    # outside at the claim level but not at the family-wise level: not refuted
    assert rules.band_verdict((1.12, 1.3), (1.05, 1.4), band)[0] == "inconclusive"
    assert rules.positive_verdict((0.1, 0.3), (0.05, 0.4))[0] == "supported"
    assert rules.positive_verdict((-0.3, -0.1), (-0.4, -0.05))[0] == "refuted"
    assert rules.positive_verdict((-0.1, 0.3), (-0.2, 0.4))[0] == "inconclusive"
    assert rules.bonferroni(0.05, 25) == pytest.approx(0.998)


def test_chi2_score_against_its_bound():
    score, bound = rules.chi2_score([1.0, -2.0, 0.5])
    assert score == pytest.approx(5.25) and bound == pytest.approx(7.814727903251178)


def test_an_unknown_verdict_is_an_error():
    with pytest.raises(ValueError, match="verdict"):
        Evaluation("probably", "no")


# ---------------------------------------------------------------- mechanics

def _spec(cid: str, evaluate: str) -> dict:
    return {"id": cid, "stage": cid.split(".")[0], "statement": "s", "source": "src",
            "prediction": "p", "control": "c", "calibration": "k", "evaluate": evaluate,
            "figure": "fig", "deterministic": False, "options": dict(LEVELS)}


def test_evaluate_stage_rows_and_claims_without_tables(tmp_path):
    inputs = {f"planted__{k}": v for k, v in _cells(tmp_path).items()}
    params = {"config_hash": "abc", "claims": [
        _spec("demo.planted", "tests.test_claims:slope_claim"),
        _spec("demo.absent", "tests.test_claims:slope_claim")]}
    table = job.evaluate_stage(inputs, params, tmp_path)
    assert list(table.columns) == list(job.COLUMNS)
    assert table["verdict"].tolist() == ["supported", "inconclusive"]
    assert table.loc[1, "reason"] == "this config makes none of its tables"
    assert table["commit"].eq("unknown").all() and table["config_hash"].eq("abc").all()
    merged = job.merge([table, table.assign(id=["demo.x", "demo.y"])])
    assert merged["family"].eq(4).all()
    assert job.counts_line(merged) == "claims: 2 supported, 0 refuted, 2 inconclusive"


def _table(tmp_path):
    inputs = {f"planted__{k}": v for k, v in _cells(tmp_path).items()}
    params = {"config_hash": "abc", "claims": [
        _spec("demo.planted", "tests.test_claims:slope_claim"),
        _spec("demo.absent", "tests.test_claims:slope_claim")]}
    return job.merge([job.evaluate_stage(inputs, params, tmp_path)])


def test_page_links_each_claim_to_its_figure(tmp_path):
    html = shown.page(_table(tmp_path))
    assert html.count("<tr>") == 3 and "href='figures/fig.png'" in html
    assert "claims: 1 supported, 0 refuted, 1 inconclusive" in html


def test_markdown_round_trips_and_compare_finds_changes(tmp_path):
    table = _table(tmp_path)
    doc = tmp_path / "claims.md"
    doc.write_text(shown.markdown(table, "0123456789abcdef"))
    assert shown.documented_hash(doc) == "0123456789abcdef"
    back = shown.read_claims(doc)
    assert shown.differences(table, back) == []
    moved = table.copy()
    moved.loc[0, ["verdict", "estimate"]] = ["refuted", 2.5]
    lines = shown.differences(table, moved)
    assert any("demo.planted: verdict supported -> refuted" in ln for ln in lines)
    assert any("demo.planted: estimate" in ln for ln in lines)
