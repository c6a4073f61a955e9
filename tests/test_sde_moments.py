"""The overlap SDE's one-step law against the exact step (docs/science.md §6.8).

The reduced engine (easy2hard.mcm.reduced, exact in law, §9) draws ONE pSGD step many times
from the same state; the sample mean and covariance of the overlap increment are compared with
the SDE's per-step mean a − k m and covariance V (``dynamics.increment_law``) at grid nodes
(no interpolation), by z-scores from the number of draws: the mean's s.e. is sd/√M, a
covariance entry's the sd of the centred products over √M.

- At the default learning rates of covariance (N = 1024) and cumulant (N = 64) cells, and of
  the correlated N = 16 cell at lr × ¼, every |z| < 4.5.
- The old variance, the second moment E[P² e eᵀ] = Σ + A Aᵀ, is rejected (z ≈ 30 mid-rise),
  and so is c² Σ without the bulk's cross term at large m.
- At the correlated N = 16 cell's own lr the expansion in c no longer holds: the v-components
  of the exact covariance are off by tens of standard errors (the tails of P make β² ‖x‖²
  reach 0.5), while at lr × ¼ they agree: the one-step O(η) error of that cell.
"""

import math

import numpy as np
import pytest

from easy2hard.core import ou
from easy2hard.mcm import reduced
from easy2hard.mcm.cells import Cell, NeuronRun
from easy2hard.theory import dynamics as D

DRAWS = 500_000
COVARIANCE = (D.Setting("tanh", 0.3, beta_u=1.0, beta_v=0.0),
              dict(activation="tanh", beta_u=1.0, beta_v=0.0))
CUMULANT = (D.Setting("sigma_star", 0.3), dict())
CORRELATED = (D.Setting("sigma_star", 0.3, beta_u=9.0, correlated=True),
              dict(correlated=True, beta_u=9.0))
ONE_OVERLAP = (0.1, 0.3, 0.5, 0.7)
TWO_OVERLAPS = ((0.49, 0.24), (0.35, 0.35), (0.24, 0.49), (0.49, 0.49))


@pytest.fixture(scope="module")
def tables():
    """The SDE's tables per setting (the two-overlap one on a coarse grid: nodes only)."""
    return {id(s): D.coefficients(s, points=21 if s.dim == 2 else None)
            for s, _ in (COVARIANCE, CUMULANT, CORRELATED)}


def nodes(coef, picks):
    """Grid indices nearest to each pick (a number, or a pair for two overlaps)."""
    return [tuple(int(np.argmin(abs(coef.axis - x))) for x in np.atleast_1d(p)) for p in picks]


def one_step(setting, labels, N, lr, m, seed=1):
    """Increments of the SDE's overlaps over DRAWS exact steps from m (reduced engine)."""
    d = setting.dim
    if d == 1:
        start = [m[0], 0.0] if setting.target == "u" else [0.0, m[0]]
    else:
        start = list(m)
    start.append(math.sqrt(1 - float(m @ m)))
    run = NeuronRun(seed=seed, t=setting.t, lr=lr, **labels)
    out = reduced.one_step_draws(Cell(N=N, steps=1), run, start, DRAWS)[:, :2] - start[:2]
    return out[:, [0 if setting.target == "u" else 1]] if d == 1 else out


def z_scores(setting, labels, coef, N, lr, idx, V=None):
    """(z of the mean (d,), z of the covariance (d, d)) of the exact step against the SDE's
    law at node idx; V replaces the SDE's covariance (per step) when given."""
    c = lr * ou.delta(setting.t) * math.exp(-setting.t)
    a, k, V_sde = D.increment_law(coef, N, c)
    m = coef.axis[list(idx)]
    dm = one_step(setting, labels, N, lr, m)
    mean = dm.mean(0)
    cen = dm - mean
    prod = cen[:, :, None] * cen[:, None, :]
    z_mean = (mean - (a[idx] - k[idx] * m)) / (dm.std(0) / math.sqrt(len(dm)))
    V = V_sde[idx] if V is None else V
    return z_mean, (prod.mean(0) * len(dm) / (len(dm) - 1) - V) / (prod.std(0) / math.sqrt(len(dm)))


@pytest.mark.parametrize("case, N, lr, picks", [
    (COVARIANCE, 1024, 0.01 * 32 / 1024, ONE_OVERLAP),
    (CUMULANT, 64, 0.01 * (32 / 64) ** 2, ONE_OVERLAP),
    (CORRELATED, 16, 0.003 * 32 / 16 / 4, TWO_OVERLAPS),
], ids=["covariance-N1024", "cumulant-N64", "correlated-N16-lr/4"])
def test_sde_law_matches_the_exact_step(tables, case, N, lr, picks):
    setting, labels = case
    coef = tables[id(setting)]
    for idx in nodes(coef, picks):
        z_mean, z_cov = z_scores(setting, labels, coef, N, lr, idx)
        assert np.abs(z_mean).max() < 4.5 and np.abs(z_cov).max() < 4.5, (idx, z_mean, z_cov)


def test_old_variance_and_no_cross_term_are_rejected(tables):
    """c² E[P² e²] (the old variance) fails mid-rise; c² Σ alone fails at m = 0.7 (the cross
    term with the renormalisation, O(c N) = 0.1 here, is needed)."""
    setting, labels = COVARIANCE
    coef = tables[id(setting)]
    N, lr = 1024, 0.01 * 32 / 1024
    c = lr * ou.delta(setting.t) * math.exp(-setting.t)
    i5, i7 = nodes(coef, [0.5, 0.7])
    old = c * c * (coef.S[i5] + np.outer(coef.A[i5], coef.A[i5]))
    assert z_scores(setting, labels, coef, N, lr, i5, old)[1].item() < -15
    assert z_scores(setting, labels, coef, N, lr, i7, c * c * coef.S[i7])[1].item() < -6


def test_correlated_n16_default_lr_is_beyond_the_expansion(tables):
    """At the correlated N = 16 cell's own lr (0.006) the v-components of the exact one-step
    covariance differ from the SDE's (to order c⁴) by more than 20 standard errors."""
    setting, labels = CORRELATED
    coef = tables[id(setting)]
    (idx,) = nodes(coef, [(0.49, 0.24)])
    z_mean, z_cov = z_scores(setting, labels, coef, 16, 0.003 * 32 / 16, idx)
    assert np.abs(z_mean).max() < 4.5
    assert np.abs(z_cov[1]).max() > 20, z_cov


def test_threshold_scores_combine_both_intervals():
    """z = ln(n*/n*_pred) over sqrt(s_sim² + s_pred²), each s = ln(hi/lo)/(2·1.645) at 90 %."""
    import pandas as pd

    from easy2hard.mcm import analysis

    e = math.exp(2 * 1.6448536269514722)  # a 90 % interval of ln-width 2z: s = 1
    t = pd.DataFrame(dict(sweep=["a", "a"], n_star=[math.e ** 2, 1.0], n_star_lo=[1.0, 1.0],
                          n_star_hi=[e, e], n_star_pred=[1.0, 1.0], n_star_pred_lo=[1.0, 1.0],
                          n_star_pred_hi=[e, e], n_star_drift=[1.0, math.e]))
    out = analysis.with_scores(t.assign(ratio=t["n_star"] / t["n_star_pred"]), 0.9)
    np.testing.assert_allclose(out["z_pred"], [2 / math.sqrt(2), 0.0])
    np.testing.assert_allclose(out["z_drift"], [2 / math.sqrt(2), -1 / math.sqrt(2)])
    summary = analysis.score_summary(out).set_index("sweep")
    assert summary.loc["all", "chi2_pred"] == pytest.approx(2.0)
    assert summary.loc["all", "chi2_drift"] == pytest.approx(2.5)
