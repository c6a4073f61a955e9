"""The one-neuron loss: Monte-Carlo and integrated z agree in expectation; the analytic
gradient matches autograd; the plain-SGD Stein terms match it; pSGD keeps ‖w‖ = 1; the
activation list is one list."""

import math

import pytest
import torch
import yaml

from easy2hard.core import activations

from easy2hard.core import mixed_cumulant as mcm
from easy2hard.mcm import one_neuron
from easy2hard.core import streams
from easy2hard.mcm.engine import Cell, NeuronRun, train

from .conftest import REPO

Z = 5.0
ACTS = ["sigma_star", "tanh", "relu", "scaled_tanh", "sigmoid"]


def _setup(N=6, n=4000, seed=0):
    gen = streams.generator(seed, "one-neuron")
    model = mcm.MCM(N=N, beta_u=2.0, beta_v=math.inf)
    u, v, m = mcm.spikes(N)
    x0 = mcm.sample(model, n, u, v, m, generator=gen)
    w = torch.randn(N, generator=gen).double()
    w = 0.8 * w / w.norm()
    z = torch.randn(100, n, N, generator=gen).double()
    return w, x0.double(), z


@pytest.mark.parametrize("act", ACTS)
def test_mc_loss_and_gradient_agree_with_integrated(act):
    w, x0, z = _setup()
    t, K = 0.3, 64
    ws = w.expand(z.shape[0], -1)
    xs = x0.expand(z.shape[0], -1, -1)
    mc = one_neuron.loss_mc(ws, xs, z, act, t, math.inf)  # (200 noise draws, n samples)
    integ = one_neuron.loss_integrated(w, x0, act, t, math.inf, K)  # (n,)
    diff = mc.mean(0) - integ  # per x0: average over 200 z draws minus the exact z-average
    se = mc.std(0).mean() / math.sqrt(z.shape[0] * x0.shape[0])
    assert abs(float(diff.mean())) < Z * float(se)
    g_mc = torch.stack([one_neuron.grad_mc(w, x0, zk, act, t, math.inf) for zk in z[:50]])
    g_int = one_neuron.grad_integrated(w, x0, act, t, math.inf, K)
    se_g = g_mc.std(0) / math.sqrt(g_mc.shape[0])
    assert torch.all((g_mc.mean(0) - g_int).abs() < Z * se_g)


@pytest.mark.parametrize("act", ["sigma_star", "tanh", "sigmoid"])
def test_integrated_gradient_matches_autograd(act):
    w, x0, _ = _setup(n=50)
    w = w.clone().requires_grad_(True)
    loss = one_neuron.loss_integrated(w, x0, act, 0.3, math.inf, 48).mean()
    (auto,) = torch.autograd.grad(loss, w)
    assert torch.allclose(one_neuron.grad_integrated(w.detach(), x0, act, 0.3, math.inf, 48), auto,
                          rtol=1e-6, atol=1e-8)


def test_psgd_keeps_unit_norm():
    cell = Cell(N=16, steps=3000, log_points=10)
    runs = [NeuronRun(seed=s, activation=a, t=0.3, lr=0.05) for s in range(3)
            for a in ("sigma_star", "tanh", "relu")]
    df = train(cell, runs)
    assert (df["w_norm"] - 1).abs().max() < 1e-5


@pytest.mark.parametrize("act", ["sigma_star", "tanh", "relu2"])
def test_stein_sgd_terms_equal_stein_terms(act):
    """SteinSGD (hoisted constants, row-wise sums) gives stein_terms' P and κ at any r."""
    g = torch.Generator().manual_seed(0)
    lam = torch.randn(3, 5, generator=g, dtype=torch.float64) * 2
    r = torch.tensor([0.3, 1.0, 1.7], dtype=torch.float64)
    t = torch.tensor([0.1, 0.3, 1.0], dtype=torch.float64)
    bv = torch.tensor([math.inf, 4.0, math.inf], dtype=torch.float64)
    P, kappa = one_neuron.SteinSGD(act, t, bv, 24)(lam, r)
    _, P0, Q0, G0 = one_neuron.stein_terms(act, lam, r, t, bv, 24)
    sd = torch.sqrt(-torch.expm1(-2 * t))
    # σ*'s constants come from spike_mixture in float32 (the default dtype), and SteinSGD
    # rounds k = a e^{-t}/V once more: float32 rounding amplified by 2r/sqrt(Δ_t) ~ 10.
    tol = 1e-4 if act == "sigma_star" else 1e-12
    torch.testing.assert_close(P, P0, rtol=tol, atol=tol)
    torch.testing.assert_close(kappa, (sd * Q0.mean(1) + G0.mean(1)) / r, rtol=tol, atol=tol)


def test_sigma_star_needs_t_and_beta_v():
    with pytest.raises(ValueError, match="sigma_star needs"):
        activations.evaluate("sigma_star", torch.zeros(3))
    h = torch.linspace(-3, 3, 7, dtype=torch.float64)
    fast = activations.SigmaStar(torch.tensor(0.3, dtype=torch.float64), torch.tensor(4.0, dtype=torch.float64))
    for a, b in zip(fast(h), activations.evaluate("sigma_star", h, 0.3, 4.0)):
        torch.testing.assert_close(a, b)


def test_one_activation_list():
    """The schema's activation enum, the networks' sweep items and the plot labels all use
    core/activations.NAMES."""
    schema = yaml.safe_load((REPO / "config" / "schema.yaml").read_text())
    assert schema["$defs"]["activation"]["enum"] == list(activations.NAMES)
    net = schema["properties"]["networks"]["properties"]["sweeps"]["additionalProperties"]
    assert net["properties"]["activation"]["items"] == {"$ref": "#/$defs/activation"}
    assert set(activations.LABELS) == set(activations.NAMES)
    for name in activations.NAMES:
        h = torch.linspace(-2, 2, 5)
        torch.testing.assert_close(activations.value(name, h, 0.3, math.inf),
                                   activations.evaluate(name, h, 0.3, math.inf)[0])
