"""The lockstep engine: one step equals the library's gradient step, lockstep equals one
run at a time, reruns are identical, a planted solution stays put, plain SGD shrinks w."""

import math

import pandas as pd
import pytest
import torch

from easy2hard.core import mixed_cumulant as mcm
from easy2hard.mcm import one_neuron
from easy2hard.core import streams
from easy2hard.mcm.engine import Cell, NeuronRun, sample_chunk, table_error, train

COLS = ["overlap_u", "overlap_v", "w_norm"]


@pytest.mark.parametrize("act, tol", [("sigma_star", 1e-5), ("tanh", 1e-5), ("sigmoid", 1e-5),
                                      ("relu2", 1e-5), ("scaled_tanh", 1e-4)])
def test_table_matches_gauss_hermite(act, tol):
    """The promise of the engine's docstring: the interpolated P(λ) is within 1e-5 (relative)
    of Gauss-Hermite for the smooth activations at t = 0.3, 1e-4 for scaled_tanh."""
    assert table_error(Cell(N=64, steps=1), NeuronRun(seed=0, activation=act, t=0.3, beta_u=1.0)) < tol


@pytest.mark.parametrize("proj", ["sphere", "none"])
def test_one_step_is_the_gradient_step(proj):
    N, lr, t = 10, 0.3, 0.2
    cell = Cell(N=N, steps=1, log_points=2, w_init_norm=0.7)
    runs = [NeuronRun(seed=s, activation=a, projection=proj, beta_u=2.0, t=t, lr=lr)
            for s in range(2) for a in ("sigma_star", "tanh")]
    w0 = torch.randn(len(runs), N, generator=streams.generator(0, "w0"))
    w0 = w0 / w0.norm(dim=1, keepdim=True) * 0.7
    out = train(cell, runs, init=w0)
    x = sample_chunk(cell, runs, 256)[:, :1]
    for i, r in enumerate(runs):
        w = w0[i].double() / (w0[i].norm() if proj == "sphere" else 1.0)
        g = one_neuron.grad_integrated(w, x[i].double(), r.activation, t, math.inf, 24)
        if proj == "sphere":
            g = g - (g @ w) * w
        w1 = w - lr * g
        if proj == "sphere":
            w1 = w1 / w1.norm()
        u, v, _ = mcm.spikes(N)
        row = out[(out.seed == r.seed) & (out.activation == r.activation) & (out.step == 1)]
        expect = [abs(float(w1 @ u.double())) / w1.norm(), abs(float(w1 @ v.double())) / w1.norm(),
                  w1.norm()]
        assert row[COLS].to_numpy()[0] == pytest.approx([float(e) for e in expect], abs=2e-5)


def test_lockstep_equals_one_at_a_time():
    cell = Cell(N=12, steps=600, log_points=8)
    runs = [NeuronRun(seed=s, activation=a, projection=p, latent=lat, t=0.3, lr=0.05)
            for s in (0, 1) for a in ("sigma_star", "tanh")
            for p in ("sphere", "none") for lat in ("rademacher", "three_point")]
    together = train(cell, runs)
    alone = pd.concat([train(cell, [r]) for r in runs], ignore_index=True)
    keys = ["seed", "activation", "projection", "latent", "step"]
    a = together.sort_values(keys).reset_index(drop=True)
    b = alone.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(a[keys], b[keys])
    pd.testing.assert_frame_equal(a[COLS], b[COLS], rtol=0, atol=1e-6)


def test_same_config_and_seed_give_identical_tables():
    cell = Cell(N=10, steps=300, log_points=6, eval_samples=200)
    runs = [NeuronRun(seed=s, activation=a, t=0.3, lr=0.05, beta_u=1.0) for s in (3, 4)
            for a in ("sigma_star", "relu")]
    pd.testing.assert_frame_equal(train(cell, runs), train(cell, runs))
    other = train(cell, [NeuronRun(seed=5, t=0.3, lr=0.05, beta_u=1.0)])
    assert not other["overlap_v"].equals(train(cell, runs[:1])["overlap_v"])


def test_planted_solution_stays_put():
    """Teacher-student: with σ*, w = v is a fixed point of the population dynamics."""
    N = 32
    cell = Cell(N=N, steps=20_000, log_points=5)
    runs = [NeuronRun(seed=s, t=0.3, lr=0.01) for s in range(4)]
    v = mcm.spikes(N)[1]
    df = train(cell, runs, init=v.expand(4, N))
    last = df[df.step == cell.steps]
    assert (last["overlap_v"] > 0.95).all()
    # Control: the same runs from a random start have not found v yet at this budget.
    rnd = train(Cell(N=N, steps=200, log_points=3), runs)
    assert (rnd[rnd.step == 200]["overlap_v"] < 0.5).all()


def test_plain_sgd_with_tanh_shrinks_w_on_cumulant_spike():
    cell = Cell(N=32, steps=3000, log_points=5)
    runs = [NeuronRun(seed=s, activation="tanh", projection=p, t=0.3, lr=0.01)
            for s in range(4) for p in ("none", "sphere")]
    df = train(cell, runs)
    last = df[df.step == cell.steps]
    assert last[last.projection == "none"]["w_norm"].max() < 0.6
    assert (last[last.projection == "sphere"]["w_norm"] - 1).abs().max() < 1e-5


def test_eval_losses_use_common_random_numbers():
    """At w ⟂ (u, v, m) all three test losses see the same bulk: the mean_iso clone = MCM
    exactly when the MCM is N(0, I) (β_u = 0, β_v = 0)."""
    cell = Cell(N=8, steps=10, log_points=2, eval_samples=500)
    df = train(cell, [NeuronRun(seed=0, beta_u=0.0, beta_v=0.0, activation="tanh", t=0.3)])
    assert (df["loss_mcm"] - df["loss_mean_iso_clone"]).abs().max() < 1e-4
    assert (df["loss_mcm"] - df["loss_meancov_clone"]).abs().max() < 1e-4
