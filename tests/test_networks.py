"""Wide and deep MCM denoisers: shapes, tied weights, the overlap metric, the hand-written
backward pass, the optimisers, the noise target, lockstep = one at a time, and the pipeline."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from easy2hard.core import mixed_cumulant as mcm
from easy2hard.networks import training as nt
from easy2hard.networks import models as networks
from easy2hard.core import streams
from easy2hard.core.diffusion import delta

from .conftest import REPO


def _gens(R, seed=0):
    return [streams.generator(seed, "test", r) for r in range(R)]


def _arch(model, N=6, m=5, L=3, linear_map=False):
    return networks.Arch(model, N, m, L if model == "resnet" else 1, linear_map=linear_map)


@pytest.mark.parametrize("model, linear_map", [("autoencoder", False), ("resnet", False),
                                               ("resnet", True)])
def test_shapes(model, linear_map):
    R, B, N, m, L = 3, 7, 6, 5, 3
    arch = _arch(model, N, m, L, linear_map)
    params = networks.init(arch, _gens(R))
    assert params["W"].shape == (R, m, N) and params["a"].shape == (R,)
    if model == "resnet":
        assert params["W_out"].shape == (R, N, m)
        assert all(params[f"W{l}"].shape == (R, m, m) for l in range(2, L + 1))
        assert ("A" in params) == linear_map and ("b" in params) == linear_map
    else:
        assert params["b"].shape == (R, N)
    groups = networks.activation_groups(["relu", "relu", "tanh"])
    out = networks.forward(arch, params, torch.randn(R, B, N), groups, torch.full((R,), 0.1))
    assert out.shape == (R, B, N)


def test_autoencoder_is_tied_and_matches_formula():
    """ε(x) = a x + Wᵀσ(c W x) + b with one W in both layers, run by run."""
    R, B, N, m = 2, 4, 6, 5
    arch = _arch("autoencoder", N, m)
    params = networks.init(arch, _gens(R), dtype=torch.float64)
    params["a"] = torch.tensor([0.7, -0.2], dtype=torch.float64)
    params["b"] = torch.randn(R, N, dtype=torch.float64)
    t = torch.tensor([0.1, 0.5], dtype=torch.float64)
    x = torch.randn(R, B, N, dtype=torch.float64)
    groups = networks.activation_groups(["tanh", "sigmoid"])
    out = networks.forward(arch, params, x, groups, t)
    for r, sig in enumerate((torch.tanh, torch.sigmoid)):
        W, c = params["W"][r], math.exp(-t[r]) / math.sqrt(delta(float(t[r])))
        want = params["a"][r] * x[r] + sig(c * x[r] @ W.T) @ W + params["b"][r]
        torch.testing.assert_close(out[r], want)
    # tied: perturbing W changes both the encoder and the decoder; the gradient has both terms
    assert set(params) == {"W", "a", "b"}


@pytest.mark.parametrize("acts", [["relu", "relu"], ["relu2", "tanh", "sigmoid"]])
def test_handwritten_backward_equals_autograd(acts):
    R, B, N, m = len(acts), 9, 7, 5
    arch = _arch("autoencoder", N, m)
    params = networks.init(arch, _gens(R), w_init_var=1.0, dtype=torch.float64)
    params["b"] = torch.randn(R, N, dtype=torch.float64)
    t = torch.linspace(0.1, 0.6, R, dtype=torch.float64)
    xt, z = torch.randn(R, B, N, dtype=torch.float64), torch.randn(R, B, N, dtype=torch.float64)
    groups = networks.activation_groups(acts)
    grads, loss = networks.autoencoder_grads(params, xt, z, groups, t, with_loss=True)
    leaves = {k: v.clone().requires_grad_() for k, v in params.items()}
    want = (networks.forward(arch, leaves, xt, groups, t) - z).square().mean((1, 2))
    want.sum().backward()
    torch.testing.assert_close(loss, want.detach())
    for k in params:
        torch.testing.assert_close(grads[k], leaves[k].grad)


def test_overlap_on_planted_solution():
    N, m = 50, 8
    u, v, _ = mcm.spikes(N, "random", torch.Generator().manual_seed(3))
    g = torch.Generator().manual_seed(4)
    W = torch.randn(2, m, N, generator=g)
    W = W - (W @ v)[..., None] * v  # every row orthogonal to v
    assert networks.overlap(W, v).max() < 1e-5
    W[0, 3] = -2.5 * v  # planted neuron, any norm and sign
    cos = 0.6
    W[1, 5] = 3.0 * (cos * v + math.sqrt(1 - cos**2) * u)
    got = networks.overlap(W, v)
    torch.testing.assert_close(got, torch.tensor([1.0, cos]))
    # per-run directions give the same answer
    torch.testing.assert_close(networks.overlap(W, torch.stack([v, v])), got)


def test_adam_matches_torch_and_per_run_lr():
    """The per-run-lr Adam is torch's Adam, run r with lr_r, independently per run."""
    g = torch.Generator().manual_seed(0)
    p0 = torch.randn(3, 4, 5, generator=g, dtype=torch.float64)
    grads = [torch.randn(3, 4, 5, generator=g, dtype=torch.float64) for _ in range(5)]
    lrs = [1e-3, 1e-2, 3e-1]
    mine = p0.clone().requires_grad_()
    opt = nt.Optimizer([mine], torch.tensor(lrs, dtype=torch.float64))
    for gr in grads:
        mine.grad = gr.clone()
        opt.step()
    for r, lr in enumerate(lrs):
        ref = p0[r].clone().requires_grad_()
        ropt = torch.optim.Adam([ref], lr=lr)
        for gr in grads:
            ref.grad = gr[r].clone()
            ropt.step()
        torch.testing.assert_close(mine[r].detach(), ref.detach())


def test_mcm_sample_into_buffer_equals_allocating():
    for data in (mcm.MCM(N=9, beta_u=4.0, mean_shift=1.0),
                 mcm.MCM(N=9, beta_u=2.0, beta_v=3.0, latent="three_point"),
                 mcm.MCM(N=9, beta_u=9.0, correlated=True)):
        u, v, md = mcm.spikes(9, "random", torch.Generator().manual_seed(1))
        want = mcm.sample(data, 64, u, v, md, torch.Generator().manual_seed(7))
        got = mcm.sample(data, 64, u, v, md, torch.Generator().manual_seed(7),
                         out=torch.empty(64, 9))
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("beta_v", [math.inf, 1.5])
def test_conditional_target_has_the_same_mean_gradient(beta_v):
    """E[<f(x_t), target>] is the same for z and for E[z | Gaussian part], any f.

    Statistics of n = 200 000 samples each; the tolerance is 5 standard errors of the
    difference of two independent means.
    """
    N, n, t = 6, 200_000, 0.3
    data = mcm.MCM(N=N, beta_u=3.0, beta_v=beta_v, mean_shift=1.0)
    u, v, md = mcm.spikes(N)
    basis = torch.stack([u, v, md])
    f = [lambda x: x, lambda x: torch.tanh(3 * x), lambda x: torch.relu(x) ** 2 * v]
    stats = {}
    for target, seed in (("sampled", 1), ("conditional", 2)):
        xt, z = torch.empty(n, N, dtype=torch.float64), torch.empty(n, N, dtype=torch.float64)
        nt.noised_into(xt, z, data, basis.double(), t, torch.Generator().manual_seed(seed), target)
        stats[target] = (xt, [(fi(xt) * z).sum(1) for fi in f])
    for k in range(len(f)):
        a, b = stats["sampled"][1][k], stats["conditional"][1][k]
        se = math.sqrt(a.var() / n + b.var() / n)
        assert abs(a.mean() - b.mean()) < 5 * se, (k, a.mean(), b.mean(), se)
    # the two schemes draw x_t from the same law: compare means and variances per axis
    xs, xc = stats["sampled"][0], stats["conditional"][0]
    for stat in (lambda x: x, lambda x: x**2, lambda x: x**4):
        a, b = stat(xs), stat(xc)
        se = torch.sqrt(a.var(0) / n + b.var(0) / n)
        assert ((a.mean(0) - b.mean(0)).abs() < 5 * se).all()
    # and the conditional target has less variance
    assert stats["conditional"][1][0].var() < stats["sampled"][1][0].var()


@pytest.mark.parametrize("model, acts, linear_map, optimizer", [
    ("autoencoder", ["relu", "tanh", "relu2"], False, "adam"),
    ("resnet", ["relu", "sigmoid", "relu"], True, "sgd"),
])
def test_lockstep_equals_one_at_a_time(model, acts, linear_map, optimizer):
    N, m = 8, 6
    arch = _arch(model, N, m, 2, linear_map)
    data = mcm.MCM(N=N, beta_u=4.0, mean_shift=1.0)
    runs = [dict(seed=s, activation=a, t=t, lr=lr) for s, a, t, lr in
            zip([0, 1, 2], acts, [0.1, 0.3, 0.1], [1e-2, 3e-2, 1e-2])]
    kw = dict(steps=25, batch=10, optimizer=optimizer, log_points=6, eval_samples=40,
              chunk=8, dtype=torch.float64)
    together = nt.train(arch, runs, data, **kw)
    alone = pd.concat([nt.train(arch, [r], data, **kw) for r in runs])
    key = ["seed", "activation", "t", "step"]
    together = together.sort_values(key).reset_index(drop=True)
    alone = alone.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(together, alone, rtol=1e-9, atol=1e-12)
    assert together.step.max() == 25 and len(together) == 3 * together.step.nunique()
    # training moved the parameters and the losses are finite
    assert np.isfinite(together.loss_mcm).all()
    first, last = together[together.step == 0], together[together.step == 25]
    assert (first.loss_mcm.values != last.loss_mcm.values).all()


def test_test_sets_share_random_numbers():
    """The MCM and its clones start from the same base normals, and share z."""
    N = 7
    data = mcm.MCM(N=N)  # no u, no mean: the MCM off the v axis is its bulk g
    u, v, md = mcm.spikes(N)
    x, xm, xc, z = nt.test_sets(data, u, v, md, 100, seed=3)
    off_v = torch.ones(N, dtype=torch.bool)
    off_v[1] = False
    # mean clone: σ̄ = 1 here, mean 0, so it is g itself; the MCM equals g off v
    torch.testing.assert_close(x[:, off_v], xm[:, off_v])
    torch.testing.assert_close(xc, xm, rtol=1e-5, atol=1e-5)  # Σ = I here
    assert z.shape == (100, N) and not torch.equal(z, xm)


def test_pipeline_writes_tables_and_figures(run_workflow):
    sweep = dict(N=[8], activation=["relu", "tanh"], steps=12, seeds=[0, 1],
                 eval_samples=30, log_points=4)
    cfg = {"device": "cpu", "networks": {
        "sweeps": {"w": dict(sweep, width=[1, 4]),
                   "d": dict(sweep, model="resnet", width=[5], depth=[2], linear_map=True,
                             a_trainable=False),
                   "s": dict(sweep, width=[4], optimizer="sgd", lr=[0.1])},
        "figures": {"fig3a_width": {"sweeps": ["w"]}, "fig3bc_depth": {"sweeps": ["d"]},
                    "figA4": {"sweeps": ["w", "s"]}, "fig1c_mcm_clones": {"sweeps": ["d"]}}}}
    figs = [f"results/figures/{f}.{ext}" for f in cfg["networks"]["figures"]
            for ext in ("pdf", "png")]
    run_workflow(cfg, *figs)
    wd = run_workflow.workdir
    assert all((wd / f).stat().st_size > 0 for f in figs)
    df = pd.read_parquet(wd / "results/networks/w/N8_m4_L1.parquet")
    for col in ("sweep", "N", "step", "n", "seed", "model", "m", "L", "activation",
                "optimizer", "lr", "batch", "t", "overlap_u", "overlap_v", "a", "loss_mcm",
                "loss_mean_clone", "loss_meancov_clone"):
        assert col in df.columns, col
    assert len(df) == 2 * 2 * df.step.nunique()  # activations x seeds x logged steps
    assert (df.n == df.step * df.batch).all() and set(df.m) == {4}
    d = pd.read_parquet(wd / "results/networks/d/N8_m5_L2.parquet")
    assert (d.a == 1.0).all()  # fixed skip in the resnet


def test_bad_networks_config_names_the_key(run_workflow):
    cfg = {"device": "cpu", "networks": {
        "sweeps": {"w": dict(N=[8], seeds=[0], depth=[2])},
        "figures": {"fig3a_width": {"sweeps": ["nope"]}}}}
    proc = run_workflow(cfg, "-n", check=False)
    assert proc.returncode != 0
    assert "networks.sweeps.w.depth" in proc.stdout + proc.stderr
