"""The overlap SDE of pSGD (easy2hard.theory.dynamics, docs/science.md §6.8).

- Its drift is the spherical gradient of the population loss: A(m) = −(1 − m²) L'(m)/(Δ_t e^{−t})
  with L from the Hermite series of easy2hard.theory.coefficients (independent code: Hermite
  coefficients against quadrature of the Stein term), to 2 % where the series has converged.
- Q(0) = E[P(g)²] by an independent quadrature.
- Paths are reproducible from the seed and start at the same points whatever the dynamics;
  without noise they follow the gradient flow of L(m), monotone in |m| for the Rademacher
  spike (L falls with |m|), with noise they do not; that flow is converged at the default step.
- Calibration: the SDE's mean overlap follows the reduced simulator's (exact in law, §9) on a
  small cumulant cell: 96 runs, |difference| below 4 standard errors of the simulated mean plus
  0.05 (the SDE's own O(η) error and its 128-path mean) at every logged n.
"""

import math

import numpy as np
import pytest

from easy2hard.theory import dynamics as D
from easy2hard.core import ou
from easy2hard.theory import coefficients


@pytest.mark.parametrize("setting, spike, kmax", [
    (D.Setting("sigma_star", 0.3), coefficients.Spike(), 14),
    (D.Setting("tanh", 0.3, beta_u=1.0, beta_v=0.0),
     coefficients.Spike(spike="covariance", beta_u=1.0, beta_v=0.0), 14),
])
def test_drift_is_the_gradient_of_the_hermite_series(setting, spike, kmax):
    ax, _, A, *_ = D.coefficients(setting, points=201)
    c = coefficients.hermite_c(setting.activation, setting.t, setting.beta_v, kmax)
    lk = coefficients.spike_l(spike, kmax)
    k = np.arange(1, kmax + 1)
    dL = ou.delta(setting.t) * ((k * c[1:] * lk[1:]) * ax[:, None] ** (k - 1)).sum(1)
    want = -(1 - ax**2) * dL / (ou.delta(setting.t) * math.exp(-setting.t))
    sel = (np.abs(ax) > 0.02) & (np.abs(ax) < 0.5)
    np.testing.assert_allclose(A[sel, 0], want[sel], rtol=0.02, atol=1e-3 * np.abs(want).max())


def test_noise_coefficient_at_zero():
    s = D.Setting("sigma_star", 0.3)
    ax, _, _, Q, *_ = D.coefficients(s, points=11)
    lam, P = D.p_table(s, 12.0, 20001)
    g, w = np.polynomial.hermite_e.hermegauss(120)
    want = (w / w.sum() * np.interp(g, lam, P) ** 2).sum()
    assert Q[5] == pytest.approx(want, rel=1e-3)


def test_paths_reproducible_and_drift_only_is_monotone():
    s = D.Setting("sigma_star", 0.3)
    coef = D.coefficients(s, points=401)
    n = np.geomspace(1, 1e5, 20)
    a = D.predict(s, 64, 0.01 / 16, n, paths=16, seed=3, coef=coef)
    np.testing.assert_array_equal(a, D.predict(s, 64, 0.01 / 16, n, paths=16, seed=3, coef=coef))
    drift = D.predict(s, 64, 0.01 / 16, n, paths=16, seed=3, noise=False, coef=coef)
    assert (np.diff(drift, axis=1) >= -1e-12).all()  # gradient flow on a loss falling in |m|
    assert (np.diff(a, axis=1) < -1e-4).any()  # the noise does move paths back


def test_paths_start_at_the_same_points_whatever_the_dynamics():
    """Path p starts at the same overlap for the SDE and the drift-only check, any lr and any
    grid, and the first k of 2k paths are the k paths (the starts are drawn first)."""
    s = D.Setting("sigma_star", 0.3)
    coef = D.coefficients(s, points=401)
    start = D.predict(s, 64, 0.01 / 16, np.array([0.0, 1e4]), paths=16, seed=3, coef=coef)[:, 0]
    assert len(np.unique(start)) == 16
    for lr, noise, grid in ((0.01 / 16, False, [0.0, 5e3]), (0.02 / 16, True, [0.0, 3e2, 1e4])):
        other = D.predict(s, 64, lr, np.array(grid), paths=32, seed=3, noise=noise, coef=coef)
        np.testing.assert_array_equal(other[:16, 0], start)


def test_drift_is_converged_at_the_default_step():
    """Heun on the drift: the gradient-flow n* of a k* = 2 escape at the default Courant number
    (0.2) is within 1 % of the one at 0.025 (the default covariance cell N = 1024; Euler was
    4-5 % late there: each step multiplies m by 1.2 instead of e^0.2)."""
    from easy2hard.core.crossing import log_first_crossing

    s = D.Setting("tanh", 0.3, beta_u=1.0, beta_v=0.0)
    coef = D.coefficients(s)
    n = np.geomspace(1, 1.4e6, 120)  # the pipeline's grid (it caps steps: no finer)
    n_star = [log_first_crossing(n, D.predict(s, 1024, 0.01 / 32, n, paths=16, seed=1,
                                              noise=False, coef=coef, courant=c).mean(0), 0.5)
              for c in (0.2, 0.025)]
    assert abs(n_star[0] / n_star[1] - 1) < 0.01, n_star


def test_sde_follows_the_reduced_simulator():
    from easy2hard.mcm import analysis, reduced
    from easy2hard.mcm.engine import Cell, NeuronRun

    N, lr, steps = 24, 0.01 * (24 / 32) ** -2, 40_000
    cell = Cell(N=N, steps=steps, log_points=12)
    sim = reduced.train(cell, [NeuronRun(seed=s, t=0.3, lr=lr) for s in range(96)])
    curve = analysis.mean_curves(analysis.with_target(sim.assign(sweep="x")))
    curve = curve[curve["n"] > 0]
    pred = D.predict(D.Setting("sigma_star", 0.3), N, lr, curve["n"].to_numpy(float), paths=128)
    se = curve["std"].to_numpy() / math.sqrt(96)
    gap = np.abs(pred.mean(0) - curve["mean"].to_numpy())
    assert (gap < 4 * se + 0.05).all(), np.round(np.c_[curve["n"], curve["mean"], pred.mean(0)], 3)
    assert curve["mean"].iloc[-1] > 0.5  # the cell does escape: the comparison is not trivial
