"""The multipatch stage (docs/science.md §11): data moments per patch, both losses against a
direct computation, lockstep against one run at a time, the digits loaders, the workflow."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import torch

from easy2hard.multipatch import data, digits, measures, model, noisy_digits, synthetic, training

from .conftest import load_test_config


def _mus(d=40, norm=3.0, scales=(1.0, 0.5)):
    return data.signal_vectors(d, norm, list(scales))


# ------------------------------------------------------------------ data (§11.1, §11.5)
@pytest.mark.parametrize("project", [False, True])
def test_each_patch_has_the_moments_of_the_model(project):
    """Signal patches are exactly μ_{p,y}; labels are ±1 with P(+1) = 1/2; noise patches have
    mean 0 and covariance σ²I (σ²(I − Π) projected). Tolerances: 5 standard errors of each
    estimate at n samples (mean: σ/√n; covariance entry: σ²√(2/n) on the diagonal, σ²/√n off)."""
    n, d, sigma = 20000, 40, 1.7
    mus = _mus(d)
    out = data.draw(3, "train", n, d, mus, 2, sigma, project)
    x, y, xi = out["x"], out["y"], out["xi"]
    assert x.shape == (n, 4, d) and set(y.unique().tolist()) == {-1.0, 1.0}
    assert abs(float((y > 0).double().mean()) - 0.5) < 5 * 0.5 / math.sqrt(n)
    for p in range(2):
        want = torch.where((y > 0)[:, None], mus[p, 0], mus[p, 1])
        assert torch.equal(x[:, p], want)
    cov_want = sigma**2 * torch.eye(d, dtype=torch.float64)
    if project:
        units = mus.reshape(-1, d) / mus.reshape(-1, d).norm(dim=1, keepdim=True)
        cov_want -= sigma**2 * units.T @ units
        assert float((xi @ units.T).abs().max()) < 1e-12
    for q in range(2):
        noise = x[:, 2 + q]
        assert float(noise.mean(0).abs().max()) < 5 * sigma / math.sqrt(n)
        cov = noise.T @ noise / n
        tol = 5 * sigma**2 * math.sqrt(2 / n)
        assert float((cov - cov_want).abs().max()) < tol


def test_mu_norm_gives_the_asked_snr():
    norm = data.mu_norm(0.75, 30, 1000, 1.0)
    assert norm == pytest.approx(5.0)  # the paper's low-SNR ‖μ‖ (n SNR² = 0.75)
    assert 30 * (data.mu_norm(6.75, 30, 1000, 1.0) / math.sqrt(1000)) ** 2 == pytest.approx(6.75)


def test_clones_match_the_data_moments_and_share_its_noise():
    """Both clones have the data's mean; meancov has its covariance (5 s.e. at n samples, as
    above); meancov keeps the test set's noise patches; mean has identity covariance."""
    n, d = 40000, 6
    mus = _mus(d, 2.0, (1.0,))
    test = data.draw(0, "test", n, d, mus, 1, 1.0, False)
    cl = data.clones(test, mus, 1.0, False, 0)
    flat = lambda a: a.reshape(n, -1)  # noqa: E731
    X = flat(test["x"])
    mean, cov = X.mean(0), torch.cov(X.T)
    assert torch.equal(cl["meancov"][:, 1], test["xi"][:, 0])
    for name in ("mean", "meancov"):
        C = flat(cl[name])
        scale = torch.sqrt(torch.diagonal(torch.cov(C.T))).max()
        assert float((C.mean(0) - mean).abs().max()) < 5 * float(scale) * math.sqrt(2 / n)
    Cm = torch.cov(flat(cl["meancov"]).T)
    tol = 5 * float(torch.diagonal(cov).max()) * math.sqrt(2 / n)
    assert float((Cm - cov).abs().max()) < tol
    Ci = torch.cov(flat(cl["mean"]).T)
    assert float((Ci - torch.eye(2 * d, dtype=Ci.dtype)).abs().max()) < 5 * math.sqrt(2 / n)


# ------------------------------------------------------------------ losses (§11.2-3)
def test_closed_form_ddpm_loss_equals_exact_gaussian_integration():
    """The integrand ‖f(x_t) − ε‖² is a polynomial of degree 4 in ε, so a tensor Gauss–Hermite
    rule with 3 nodes per coordinate (exact to degree 5) integrates it exactly."""
    torch.manual_seed(0)
    R, n, P, d, m, t = 2, 3, 2, 3, 4, 0.3
    W = 0.7 * torch.randn(R, m, d, dtype=torch.float64)
    X = torch.randn(R, n, P, d, dtype=torch.float64)
    nodes, weights = np.polynomial.hermite_e.hermegauss(3)
    weights = weights / math.sqrt(2 * math.pi)
    pts = torch.tensor(list(itertools.product(nodes, repeat=P * d)))
    wts = torch.tensor([np.prod(c) for c in itertools.product(weights, repeat=P * d)])
    alpha, beta = model.coefficients(t)
    direct = torch.zeros(R, n, dtype=torch.float64)
    for e, w in zip(pts.reshape(-1, P, d), wts):
        eps = e.expand(R, n, P, d)
        direct += w * (model.denoiser(W, alpha * X + beta * eps) - eps).square().mean((2, 3))
    assert torch.allclose(model.ddpm_loss_per_sample(W, X, t), direct, rtol=1e-12)


def test_closed_form_ddpm_loss_matches_monte_carlo():
    """Against the paper's Monte-Carlo average over noises: within 5 standard errors of the
    K-sample mean (per-sample losses are independent across the K noises)."""
    torch.manual_seed(1)
    R, n, P, d, m, t, K = 1, 2, 2, 5, 3, 0.2, 4000
    W = 0.5 * torch.randn(R, m, d, dtype=torch.float64)
    X = torch.randn(R, n, P, d, dtype=torch.float64)
    alpha, beta = model.coefficients(t)
    eps = torch.randn(K, R, n, P, d, dtype=torch.float64)
    per = torch.stack([(model.denoiser(W, alpha * X + beta * e) - e).square().mean((1, 2, 3))
                       for e in eps])  # (K, R)
    se = per.std(0) / math.sqrt(K)
    assert torch.all((per.mean(0) - model.ddpm_loss(W, X, t)).abs() < 5 * se)
    assert torch.allclose(model.ddpm_loss_mc(W, X, eps, t), per.mean(0))


def test_denoiser_and_logistic_loss_against_a_loop():
    """f_p = m^{-1/2} Σ_r ⟨w_r, x_p⟩² w_r and log(1 + exp(−y (F₊ − F₋))) written neuron by neuron."""
    torch.manual_seed(2)
    R, n, P, d, m = 2, 4, 3, 5, 3
    W = torch.randn(R, 2, m, d, dtype=torch.float64)
    X = torch.randn(R, n, P, d, dtype=torch.float64)
    y = torch.tensor([[1.0, -1, 1, -1], [-1, -1, 1, 1]], dtype=torch.float64)
    loss = torch.zeros(R, dtype=torch.float64)
    for r, i in itertools.product(range(R), range(n)):
        F = [sum(float(W[r, j, k] @ X[r, i, p]) ** 2 for k in range(m) for p in range(P)) / m
             for j in (0, 1)]
        loss[r] += math.log1p(math.exp(-float(y[r, i]) * (F[0] - F[1]))) / n
        for p in range(P):
            f = sum(float(W[r, 0, k] @ X[r, i, p]) ** 2 * W[r, 0, k] for k in range(m)) / math.sqrt(m)
            assert torch.allclose(model.denoiser(W[:, 0], X)[r, i, p], f)
    assert torch.allclose(model.logistic_loss(W, X, y), loss)


def test_alignment_measures_against_a_loop():
    torch.manual_seed(3)
    W = torch.randn(2, 2, 3, 6, dtype=torch.float64)
    mus = torch.randn(2, 1, 2, 6, dtype=torch.float64)
    xi = torch.randn(2, 5, 1, 6, dtype=torch.float64)
    sig, noise = measures.signal_alignment(W, mus), measures.sample_alignment(W, xi)
    for r in range(2):
        rows = W[r].reshape(-1, 6)
        assert float(sig[r, 0]) == pytest.approx(np.mean([float((rows @ mus[r, 0, j]).abs().max()) for j in (0, 1)]))
        assert float(noise[r]) == pytest.approx(np.mean([float((rows @ xi[r, i, 0]).abs().max()) for i in range(5)]))


# ------------------------------------------------------------------ lockstep (§11.4)
def _tiny_spec():
    spec = load_test_config("multipatch")["multipatch"]["synthetic"]
    return {**spec, "sigma_xi": 1.0, "signal_scales": [1.0, 0.5], "noise_patches": 1,
            "project_noise": False, "precision": "float64",
            "diffusion": {**spec["diffusion"], "t": 0.2}}


@pytest.mark.parametrize("objective", ["diffusion", "classification"])
def test_lockstep_equals_one_run_at_a_time(objective):
    """Every run of a lockstep batch follows the trajectory it follows alone (float64)."""
    spec = _tiny_spec()
    run_list = synthetic.runs(spec)
    batch = synthetic.build(spec, run_list)
    together = synthetic.train(spec, objective, batch)
    for r, run in enumerate(run_list):
        alone = synthetic.train(spec, objective, synthetic.build(spec, [run]))
        for step in together:
            torch.testing.assert_close(together[step][0][r], alone[step][0][0], rtol=1e-10, atol=1e-13)
    assert float((together[max(together)][0] - batch["W0"][:, 0 if objective == "diffusion" else slice(None)]
                  ).abs().max()) > 0  # it trained


def test_both_objectives_start_from_the_same_filters_and_data():
    spec = _tiny_spec()
    batch = synthetic.build(spec, synthetic.runs(spec))
    snaps = {o: synthetic.train(spec, o, batch) for o in ("diffusion", "classification")}
    torch.testing.assert_close(snaps["diffusion"][0][0], snaps["classification"][0][0][:, 0])
    # runs differing only in SNR share labels and noise (common random numbers)
    assert torch.equal(batch["y"][0], batch["y"][1]) and torch.equal(batch["xi"][0], batch["xi"][1])


def test_gradient_descent_decreases_both_losses():
    spec = _tiny_spec()
    batch = synthetic.build(spec, synthetic.runs(spec))
    for objective in ("diffusion", "classification"):
        snaps = synthetic.train(spec, objective, batch)
        first, last = snaps[0][1], snaps[max(snaps)][1]
        assert torch.all(last < first), objective


def test_tables_have_one_row_per_run_and_step():
    spec = _tiny_spec()
    run_list = synthetic.runs(spec)
    batch = synthetic.build(spec, run_list)
    snaps = synthetic.train(spec, "diffusion", batch)
    table = synthetic.alignment_table(spec, "diffusion", run_list, batch, snaps)
    assert len(table) == len(run_list) * len(snaps)
    assert {"align_mu1", "align_mu2", "align_xi", "ratio", "balance"} <= set(table.columns)
    assert table.balance.between(0, 1).all()
    losses = synthetic.clone_loss_table(spec, run_list, synthetic.evaluation_sets(spec, run_list, batch), snaps)
    assert set(losses.set) == {"train", "test", "mean", "meancov"}
    assert (losses[losses.set == "test"].diff_to_test == 0).all()


# ------------------------------------------------------------------ digits (§11.6)
def test_digits8_noisy_split_and_maps():
    images, labels = digits.load_digits8()
    assert images.shape[1:] == (8, 8) and 0 <= images.min() and images.max() <= 1
    spec = load_test_config("multipatch")["multipatch"]["digits"]
    spec = {**spec, "classes": [0, 1], "sigma0": 0.01, "diffusion": {**spec["diffusion"], "t": 0.2}}
    run_list = noisy_digits.runs(spec)
    batch = noisy_digits.build(spec, images, labels, run_list)
    # the signal patch is SNR~ times a digit of the right class; the noise patch is N(0, I)
    x, y = batch["x"], batch["y"]
    assert x.shape == (2, 20, 2, 64) and sorted(y[0].tolist()) == [-1.0] * 10 + [1.0] * 10
    torch.testing.assert_close(x[1, :, 0] / 0.5, x[0, :, 0] / 0.1)
    W = batch["W0"]
    out = noisy_digits.maps(spec, run_list, batch, W, W[:, 0])
    table = noisy_digits.maps_table(run_list, out, batch["side"])
    assert len(table) == 4 * 2 * spec["n_show"] * 2 * 64
    grads = measures.input_gradient(W[:, 0], batch["x_test"])
    h = torch.einsum("rnpd,rkd->rnpk", batch["x_test"], W[:, 0])
    torch.testing.assert_close(grads, 2 / W.shape[2] * torch.einsum("rnpk,rkd->rnpd", h, W[:, 0]))


def _write_idx(path, array: np.ndarray) -> None:
    """An uncompressed IDX file (MNIST's format: magic 0x08 = uint8, then big-endian sizes)."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_mnist_loads_from_the_on_disk_layout(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, count in (("train", 6), ("t10k", 2)):
        _write_idx(raw / f"{split}-images-idx3-ubyte", rng.integers(0, 256, (count, 28, 28)))
        _write_idx(raw / f"{split}-labels-idx1-ubyte", np.arange(count) % 2)
    images, labels = digits.load("mnist", tmp_path, download=False)
    assert images.shape == (6, 28, 28) and 0 <= images.min() and images.max() <= 1
    assert labels.tolist() == [0, 1, 0, 1, 0, 1]


def test_missing_mnist_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        digits.load("mnist", tmp_path, download=False)
    msg = str(err.value)
    for needed in ("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte", str(tmp_path / "MNIST" / "raw"),
                   "download: true", "digits8"):
        assert needed in msg


# ------------------------------------------------------------------ workflow
def test_tiny_config_plans_only_this_stage_and_theory():
    from easy2hard.pipeline import config as e2h_config, plan

    cfg = e2h_config.validate(load_test_config("multipatch"))
    targets = plan.final_output(cfg, "results")
    assert all("/theory/" in t or "multipatch" in t or t.split("/")[-1].split(".")[0] in
               ("hermite_coefficients", "loss_landscape", "radial_term") for t in targets)
    assert not plan.multipatch.check(cfg)
    bad = {**cfg, "multipatch": {**cfg["multipatch"], "figures": {"alignment_snr": [2.0]}}}
    assert any("multipatch.figures.alignment_snr" in p for p in plan.multipatch.check(bad))


@pytest.mark.slow
def test_tiny_workflow_runs(run_workflow):
    run_workflow(load_test_config("multipatch"))
    res = run_workflow.workdir / "results"
    for name in ("alignment", "balance", "clones", "digits"):
        assert (res / "figures" / f"multipatch_{name}.png").stat().st_size > 0
    table = pd.read_parquet(res / "multipatch" / "synthetic" / "classification.parquet")
    assert set(table.n_snr2) == {0.75, 6.75} and set(table.seed) == {0, 1}
    maps = pd.read_parquet(res / "multipatch" / "digits" / "maps.parquet")
    assert set(maps.kind) == {"input", "grad_classification", "grad_diffusion", "denoised"}
