"""The one-neuron loss: Monte-Carlo and integrated z agree in expectation; the analytic
gradient matches autograd; pSGD keeps ‖w‖ = 1."""

import math

import pytest
import torch

from easy2hard.core import mixed_cumulant as mcm
from easy2hard.mcm import one_neuron
from easy2hard.core import streams
from easy2hard.mcm.engine import Cell, Run, train

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
    mc = one_neuron.loss_mc(ws, xs, z, act, t)  # (200 noise draws, n samples)
    integ = one_neuron.loss_integrated(w, x0, act, t, order=K)  # (n,)
    diff = mc.mean(0) - integ  # per x0: average over 200 z draws minus the exact z-average
    se = mc.std(0).mean() / math.sqrt(z.shape[0] * x0.shape[0])
    assert abs(float(diff.mean())) < Z * float(se)
    g_mc = torch.stack([one_neuron.grad_mc(w, x0, zk, act, t) for zk in z[:50]])
    g_int = one_neuron.grad_integrated(w, x0, act, t, order=K)
    se_g = g_mc.std(0) / math.sqrt(g_mc.shape[0])
    assert torch.all((g_mc.mean(0) - g_int).abs() < Z * se_g)


@pytest.mark.parametrize("act", ["sigma_star", "tanh", "sigmoid"])
def test_integrated_gradient_matches_autograd(act):
    w, x0, _ = _setup(n=50)
    w = w.clone().requires_grad_(True)
    loss = one_neuron.loss_integrated(w, x0, act, 0.3, order=48).mean()
    (auto,) = torch.autograd.grad(loss, w)
    assert torch.allclose(one_neuron.grad_integrated(w.detach(), x0, act, 0.3, order=48), auto,
                          rtol=1e-6, atol=1e-8)


def test_psgd_keeps_unit_norm():
    cell = Cell(N=16, steps=3000, log_points=10)
    runs = [Run(seed=s, activation=a, t=0.3, lr=0.05) for s in range(3)
            for a in ("sigma_star", "tanh", "relu")]
    df = train(cell, runs)
    assert (df["w_norm"] - 1).abs().max() < 1e-5
