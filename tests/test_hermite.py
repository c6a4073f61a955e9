"""Hermite polynomials and the split Gauss-Legendre rule (easy2hard.core.hermite)."""

import math

import numpy as np
import pytest

import torch

from easy2hard.core import hermite
from easy2hard.core.quadrature import gauss_hermite


def he_at_zero(k: int) -> float:
    """He_k(0) = (-1)^{k/2} (k-1)!! for even k, 0 for odd k."""
    if k % 2:
        return 0.0
    return (-1) ** (k // 2) * math.prod(range(1, k, 2))


def _gauss_hermite(order: int):
    """Plain Gauss-Hermite nodes and weights (numpy float64) for E over N(0, 1)."""
    x, w = gauss_hermite(order, torch.float64)
    return x.numpy(), w.numpy()


def test_orthogonality_under_the_gaussian():
    """E[He_j He_k] = k! δ_jk, exactly (both rules are exact on polynomials here)."""
    kmax = 10
    for nodes, weights in (hermite.split_rule(order=64), _gauss_hermite(40)):
        H = hermite.he(kmax, nodes)
        gram = (H * weights) @ H.T
        expect = np.diag([math.factorial(k) for k in range(kmax + 1)]).astype(float)
        np.testing.assert_allclose(gram, expect, atol=1e-9 * expect.max())


def test_values_at_zero_and_explicit_polynomials():
    x = np.linspace(-3, 3, 13)
    H = hermite.he(4, x)
    np.testing.assert_allclose(H[2], x**2 - 1)
    np.testing.assert_allclose(H[3], x**3 - 3 * x)
    np.testing.assert_allclose(H[4], x**4 - 6 * x**2 + 3, atol=1e-12)
    for k in range(12):
        assert hermite.he(k, 0.0)[k] == he_at_zero(k)


@pytest.mark.parametrize("mean,std,kink", [(0.0, 1.0, 0.0), (0.7, 0.5, 0.0), (-2.0, 3.0, 1.5)])
def test_split_rule_integrates_a_jump_exactly(mean, std, kink):
    """P(mean + std ξ > kink) = Φ((mean - kink)/std): a step, where Gauss-Hermite fails."""
    h, w = hermite.split_rule(mean, std, kink, order=32)
    expect = 0.5 * math.erfc((kink - mean) / (std * math.sqrt(2)))
    assert abs(((h > kink) * w).sum() - expect) < 1e-13
    assert abs(w.sum() - 1) < 1e-13
    assert abs((h * w).sum() - mean) < 1e-12


def test_split_rule_broadcasts_over_means():
    means = np.array([[-1.0, 0.0], [0.5, 2.0]])
    h, w = hermite.split_rule(means, 0.3, 0.0, order=48)
    assert h.shape == w.shape == (2, 2, 96)
    np.testing.assert_allclose((h * w).sum(-1), means, atol=1e-12)


def test_relu_coefficients_converge_and_gauss_hermite_does_not():
    """E[relu(g) He_k(g)] in closed form: 1/2 for k=1, He_{k-2}(0)/sqrt(2π) for k != 1.

    The split rule is exact to 1e-12 from 48 nodes a side on (16 are not enough: 4e-2);
    plain Gauss-Hermite at the 24 nodes the sweeps use is off by more than 1e-3 because
    relu has a kink.
    """
    kmax = 8
    relu = lambda x: np.maximum(x, 0.0)  # noqa: E731
    exact = np.array([1 / math.sqrt(2 * math.pi), 0.5] + [
        he_at_zero(k - 2) / math.sqrt(2 * math.pi) for k in range(2, kmax + 1)])
    for order in (48, 64, 128, 256):
        np.testing.assert_allclose(hermite.coefficients(relu, kmax, order), exact, atol=1e-12)
    assert np.max(np.abs(hermite.coefficients(relu, kmax, 16) - exact)) > 1e-3
    x, w = _gauss_hermite(24)
    gh = (hermite.he(kmax, x) * relu(x)) @ w
    assert np.max(np.abs(gh - exact)) > 1e-3


def test_bad_order_is_rejected():
    with pytest.raises(ValueError, match="order"):
        hermite.split_rule(order=1)
