"""The linear stage's claims on constructed tables in the real table format
(easy2hard.linear.claims; docs/stages/linear.md, "Claims")."""

import numpy as np
import pandas as pd
import pytest

from easy2hard.linear import claims
from easy2hard.linear.theory import kl_moment_matched, kl_wishart

OPTIONS = {"level": 0.95, "refute_level": 1 - 0.05 / 25,
           "bootstrap": {"samples": 500, "seed": 0}, "tolerance": 0.15,
           "gaussians": ["isotropic", "power_law"], "laws": ["student_t", "laplace_latent"]}


def _write(tmp_path, frames) -> list[str]:
    paths = []
    for i, df in enumerate(frames):
        path = tmp_path / f"t{i}.parquet"
        df.to_parquet(path)
        paths.append(str(path))
    return paths


# ---------------------------------------------------------------- transition

def closed_form_rows(target, d, seeds, kl_of_N) -> pd.DataFrame:
    """λ = 0, τ = ∞ rows of both samplers plus a ridge row that must be ignored."""
    rows = []
    for N in (d // 2, d, d + d // 4, 4 * d):
        for seed in seeds:
            for sampler in ("ddpm", "ddim"):
                rows.append({"target": target, "d": d, "N": N, "N_over_d": N / d, "seed": seed,
                             "ridge": 0.0, "tau": np.inf, "sampler": sampler,
                             "kl": kl_of_N(N, seed)})
                rows.append({**rows[-1], "ridge": 0.1, "kl": 1.0})
    return pd.DataFrame(rows)


def _collapse(d):
    return lambda N, seed: np.inf if N <= d else d * d / (4 * N)


def test_transition_supported_at_n_equals_d(tmp_path):
    tables = _write(tmp_path, [closed_form_rows(t, 16, range(4), _collapse(16))
                               for t in ("isotropic", "student_t")])
    ev = claims.transition({"tables": tables}, OPTIONS)
    assert ev.verdict == "supported", ev.reason
    assert (ev.estimate, ev.hi, ev.control_estimate) == (1.0, 1.25, 1.0)


def test_transition_refuted_by_a_finite_kl_at_n_equals_d(tmp_path):
    def early(N, seed):
        return 1.0 if N == 16 and seed == 2 else _collapse(16)(N, seed)

    tables = _write(tmp_path, [closed_form_rows("isotropic", 16, range(4), early)])
    ev = claims.transition({"tables": tables}, OPTIONS)
    assert ev.verdict == "refuted", ev.reason
    assert "2 finite KL at N ≤ d" in ev.reason  # both samplers


def test_transition_refuted_by_an_infinite_kl_above_d(tmp_path):
    tables = _write(tmp_path, [closed_form_rows("isotropic", 16, range(4),
                                                _collapse(20))])
    assert claims.transition({"tables": tables}, OPTIONS).verdict == "refuted"


def test_transition_two_seeds_inconclusive(tmp_path):
    tables = _write(tmp_path, [closed_form_rows("isotropic", 16, range(2), _collapse(16))])
    ev = claims.transition({"tables": tables}, OPTIONS)
    assert ev.verdict == "inconclusive" and "2 seeds" in ev.reason


# ---------------------------------------------------------------- kl_law

def law_rows(target, d, N, seeds, constant, fourth, sd=0.01) -> pd.DataFrame:
    """Rows whose measured N (kl − kl_opt)/d² is ``constant`` with seed noise ``sd``."""
    rng = np.random.default_rng(len(target))
    kl = (constant + sd * rng.standard_normal(len(seeds))) * d ** 2 / N
    return pd.DataFrame({
        "target": target, "d": d, "N": N, "N_over_d": N / d, "seed": list(seeds), "ridge": 0.0,
        "tau": np.inf, "sampler": "ddpm", "kl": kl + 1e-4, "kl_opt": 1e-4,
        "kl_moment_matched": kl_moment_matched(d, N, fourth),
        "kl_wishart": kl_wishart(d, N)})


def _law_tables(tmp_path, student_scale=1.0, gaussian_scale=1.0, seeds=range(10)):
    d, N = 64, 2048
    gauss = N * kl_wishart(d, N) / d ** 2
    t_fourth = 2 * d * (d + 2)                      # Student-t, ν = 6
    t_law = N * kl_moment_matched(d, N, t_fourth) / d ** 2
    return _write(tmp_path, [
        law_rows("power_law", d, N, seeds, gaussian_scale * gauss, d * (d + 2)),
        law_rows("student_t", d, N, seeds, student_scale * t_law, t_fourth, sd=0.02),
        law_rows("student_t", d, N // 8, seeds, 5.0, t_fourth)])  # not the decision cell


def test_kl_law_supported_when_the_fourth_moment_sets_the_constant(tmp_path):
    ev = claims.kl_law({"tables": _law_tables(tmp_path, student_scale=0.95)}, OPTIONS)
    assert ev.verdict == "supported", ev.reason
    assert ev.estimate == pytest.approx(0.95, abs=0.03)
    # the control: the Gaussian constant is about half the Student-t's, far outside 1
    assert ev.control_lo > 1.5


def test_kl_law_refuted_when_the_constant_is_the_gaussian_one(tmp_path):
    # the data-independent reading: the Student-t constant equals the Gaussian's (≈ ½ the law's)
    ev = claims.kl_law({"tables": _law_tables(tmp_path, student_scale=0.5)}, OPTIONS)
    assert ev.verdict == "refuted", ev.reason


def test_kl_law_two_seeds_inconclusive(tmp_path):
    ev = claims.kl_law({"tables": _law_tables(tmp_path, seeds=range(2))}, OPTIONS)
    assert ev.verdict == "inconclusive" and "2 seeds" in ev.reason


def test_kl_law_failed_sampler_calibration_is_inconclusive(tmp_path):
    ev = claims.kl_law({"tables": _law_tables(tmp_path, gaussian_scale=1.3)}, OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("calibration failed")


def test_kl_law_uses_a_seed_bootstrap_from_eight_seeds():
    from easy2hard.core import claims as core

    v = np.r_[np.full(9, 1.0), 30.0]                # one heavy-tailed seed
    mean, lo, hi = core.seed_interval(v, 0.95, 2000, 0)
    t_mean, t_lo, t_hi = core.t_interval(v, 0.95)
    assert mean == t_mean and lo > t_lo             # the bootstrap is not symmetric


# ---------------------------------------------------------------- hierarchy_samples

def hierarchy_rows(seeds, kl_of, ratios=(0.25, 2.0), exponents=(0.0, 3.0)) -> pd.DataFrame:
    """Sweep rows: ``kl_of(exponent, N_over_d, path, value, seed)``; natural patches too."""
    d, rows = 16, []
    for target, exp in [(f"α = {e:g}", e) for e in exponents] + [("natural_patches", np.nan)]:
        for r in ratios:
            for path, values in (("ridge", (0.0, 0.01, 0.1)), ("time", (10.0, np.inf))):
                for value in values:
                    for seed in seeds:
                        rows.append({"target": target, "exponent": exp, "d": d, "N": int(r * d),
                                     "N_over_d": r, "path": path, "seed": seed, "value": value,
                                     "kl": kl_of(exp if exp == exp else 0.0, r, path, value,
                                                 seed)})
    return pd.DataFrame(rows)


def _kl(steep_penalty, unregularised_penalty=0.0):
    """KL/d of 0.5 (+ steep_penalty at the steepest α) at the best value, worse elsewhere;
    infinite without regulariser below d; α-independent without regulariser above d."""
    def kl(exp, r, path, value, seed):
        unreg = (path == "ridge" and value == 0.0) or (path == "time" and value == np.inf)
        noise = 0.01 * ((seed * 7) % 5 - 2)
        if r < 1:
            if unreg:
                return np.inf
            best = value in (0.1, 10.0)
            return 16 * (0.5 + (steep_penalty if exp == 3.0 else 0.0) + (0 if best else 0.3)
                         + noise)
        return 16 * (0.1 + (unregularised_penalty if exp == 3.0 else 0.0) + noise)
    return kl


def test_hierarchy_samples_supported_when_the_steep_spectrum_samples_worse(tmp_path):
    tables = _write(tmp_path, [hierarchy_rows(range(5), _kl(0.2))])
    ev = claims.hierarchy_samples({"tables": tables}, OPTIONS)
    assert ev.verdict == "supported", ev.reason
    assert ev.estimate == pytest.approx(0.2)
    assert ev.control_estimate == pytest.approx(0.0)     # α-independent at λ = 0


def test_hierarchy_samples_refuted_when_hierarchy_helps_the_samples(tmp_path):
    tables = _write(tmp_path, [hierarchy_rows(range(5), _kl(-0.2))])
    assert claims.hierarchy_samples({"tables": tables}, OPTIONS).verdict == "refuted"


def test_hierarchy_samples_two_seeds_inconclusive(tmp_path):
    tables = _write(tmp_path, [hierarchy_rows(range(2), _kl(0.2))])
    ev = claims.hierarchy_samples({"tables": tables}, OPTIONS)
    assert ev.verdict == "inconclusive" and "2 seeds" in ev.reason


def test_hierarchy_samples_infinite_best_kl_is_a_failed_calibration(tmp_path):
    def collapsed(exp, r, path, value, seed):
        return np.inf if r < 1 else 1.0

    tables = _write(tmp_path, [hierarchy_rows(range(5), collapsed)])
    ev = claims.hierarchy_samples({"tables": tables}, OPTIONS)
    assert ev.verdict == "inconclusive" and ev.reason.startswith("calibration failed")


def test_kl_law_reports_the_ideal_sampler_reference_when_the_table_has_it(tmp_path):
    tables = _law_tables(tmp_path, student_scale=0.95)
    df = pd.read_parquet(tables[1]).assign(kl_ideal=0.5 * 64 ** 2 / 2048, kl_ideal_se=1e-4)
    df.to_parquet(tables[1])
    ev = claims.kl_law({"tables": tables}, OPTIONS)
    assert "student_t" in ev.reason and "ideal-sampler reference 0.5 ± " in ev.reason


def test_hierarchy_samples_reports_the_ordering_under_w2(tmp_path):
    df = hierarchy_rows(range(5), _kl(0.2))
    df["w2"] = np.where(df["exponent"] == 3.0, 2.0, 4.0)      # hierarchy helps under W₂ here
    ev = claims.hierarchy_samples({"tables": _write(tmp_path, [df])}, OPTIONS)
    assert ev.verdict == "supported"                             # the verdict is on the KL
    assert "under W₂²/d: ridge -0.75" in ev.reason


def test_hierarchy_samples_not_supported_when_the_discretisation_control_explains_it(tmp_path):
    # the unregularised α difference above d (sampler discretisation) is as large as the effect
    tables = _write(tmp_path, [hierarchy_rows(range(5), _kl(0.2, unregularised_penalty=0.25))])
    ev = claims.hierarchy_samples({"tables": tables}, OPTIONS)
    assert ev.verdict == "inconclusive" and "control" in ev.reason
    assert ev.control_estimate == pytest.approx(0.25)

