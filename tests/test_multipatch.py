"""The multipatch stage (docs/science.md §11): data moments per patch, both losses against a
direct computation, lockstep against one run at a time, the digits loaders, the workflow."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import torch

from easy2hard.multipatch import data, digits, measures, model, noisy_digits, phases, synthetic, training

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
    from easy2hard.pipeline import config as e2h_config

    spec = e2h_config.validate(load_test_config("multipatch"))["multipatch"]["synthetic"]
    return {**spec, "signal_scales": [1.0, 0.5], "precision": "float64"}


def _group(spec, objective, m=None):
    """The runs of one lockstep batch (the first, or the one of width m)."""
    run_list = synthetic.runs(spec, objective)
    groups = synthetic.width_groups(run_list, spec["m"])
    idx = groups[0] if m is None else next(g for g in groups if run_list[g[0]]["m"] == m)
    return [run_list[i] for i in idx]


@pytest.mark.parametrize("objective", ["diffusion", "classification"])
def test_lockstep_equals_one_run_at_a_time(objective):
    """Every run of a lockstep batch (narrower ones padded with zero filters) follows the
    trajectory it follows alone (float64); the padded filters stay exactly zero."""
    spec = _tiny_spec()
    group = _group(spec, objective)
    assert len({r["m"] for r in group}) > 1  # the batch mixes widths
    batch = synthetic.build(spec, group)
    together = synthetic.train(spec, objective, batch, group)
    for r, run in enumerate(group):
        alone = synthetic.train(spec, objective, synthetic.build(spec, [run]), [run])
        basis = synthetic.build(spec, [run])["basis"][0]
        for step in together:
            W = together[step][0][r]
            m = run["m"]
            mine, pad = (W[:m], W[m:]) if objective == "diffusion" else (W[:, :m], W[:, m:])
            assert torch.all(pad == 0)
            full = mine @ batch["basis"][r].T
            torch.testing.assert_close(full, alone[step][0][0] @ basis.T, rtol=1e-10, atol=1e-13)
    assert float((together[max(together)][0] - together[0][0]).abs().max()) > 0  # it trained


@pytest.mark.parametrize("objective", ["diffusion", "classification"])
def test_training_in_the_span_equals_training_in_full_space(objective):
    """Gradient descent in the coordinates of the basis (k dimensions) is gradient descent in
    R^d: the same weights at every logged step as training on the drawn data directly."""
    spec = {**_tiny_spec(), "d": 80}
    group = _group(spec, objective)
    batch = synthetic.build(spec, group)
    assert batch["x"].shape[-1] < spec["d"]
    reduced = synthetic.train(spec, objective, batch, group)
    x = torch.stack([synthetic._draw(spec, r, "train", spec["n"])[0]["x"] for r in group])
    W0 = torch.stack([synthetic.padded_weights(spec, r, max(q["m"] for q in group)) for r in group])
    full = training.fit(objective, x, batch["y"], W0, spec[objective], list(reduced),
                        scale=synthetic.scales(group))
    back = "rmk,rdk->rmd" if objective == "diffusion" else "rgmk,rdk->rgmd"
    for step in reduced:
        torch.testing.assert_close(torch.einsum(back, reduced[step][0], batch["basis"]), full[step][0],
                                   rtol=1e-9, atol=1e-12)
        torch.testing.assert_close(reduced[step][1], full[step][1], rtol=1e-12, atol=1e-12)


def test_width_prefactor_m_inverse_is_the_sqrt_network_rescaled():
    """f with prefactor m^{-1} at W equals f with m^{-1/2} at λW, λ = m^{-1/6} (f is cubic in
    W): the identity behind the transported exponents of Theorem D.1 (§11.7)."""
    torch.manual_seed(4)
    m, W, X = 7, torch.randn(2, 7, 5, dtype=torch.float64), torch.randn(2, 3, 2, 5, dtype=torch.float64)
    lam = m ** (-1 / 6)
    torch.testing.assert_close(model.ddpm_loss(W, X, 0.2, scale=1 / m),
                               model.ddpm_loss(lam * W, X, 0.2, scale=m**-0.5))
    assert phases.width_theory("diffusion", 0.5) == pytest.approx(
        {"align_mu1": -1 / 6, "align_xi": -1 / 6, "time": 1 / 3})
    assert phases.width_theory("diffusion", 1.0) == pytest.approx({"align_mu1": 0, "align_xi": 0, "time": 1})


def test_both_objectives_start_from_the_same_filters_and_data():
    spec = _tiny_spec()
    group = _group(spec, "diffusion")
    batch = synthetic.build(spec, group)
    snaps = {o: synthetic.train(spec, o, batch, group) for o in ("diffusion", "classification")}
    torch.testing.assert_close(snaps["diffusion"][0][0], snaps["classification"][0][0][:, 0])
    # runs differing only in SNR share labels and noise (common random numbers)
    same = [i for i, r in enumerate(group) if r["m"] == spec["m"] and r["sparsity"] == 1 and r["seed"] == 0]
    assert len({group[i]["n_snr2"] for i in same}) > 1
    assert torch.equal(batch["y"][same[0]], batch["y"][same[1]])


def test_gradient_descent_decreases_both_losses():
    spec = _tiny_spec()
    group = _group(spec, "diffusion")
    batch = synthetic.build(spec, group)
    for objective in ("diffusion", "classification"):
        snaps = synthetic.train(spec, objective, batch, group)
        first, last = snaps[0][1], snaps[max(snaps)][1]
        assert torch.all(last < first), objective


def test_runs_cover_the_three_grids_once():
    spec = _tiny_spec()
    run_list = synthetic.runs(spec, "diffusion")
    keys = [tuple(r[k] for k in synthetic.RUN_KEYS) for r in run_list]
    assert len(keys) == len(set(keys))
    S, Q, M, A = len(spec["seeds"]), spec["n_snr2"], spec["width"]["m"], spec["diffusion"]["width_exponents"]
    width = {(r["m"], r["width_exponent"]) for r in run_list if r["n_snr2"] == spec["width"]["n_snr2"]
             and r["sparsity"] == 1}
    assert width == {(m, a) for m in M for a in A}
    assert sum(r["sparsity"] < 1 for r in run_list) == S * len(spec["sparse"]["n_snr2"])
    assert {r["n_snr2"] for r in run_list if r["m"] == spec["m"] and r["sparsity"] == 1} == set(Q)


def test_tables_have_one_row_per_run_and_step():
    spec = _tiny_spec()
    table, losses = synthetic.run_all(spec, "diffusion")
    n_runs, n_steps = len(synthetic.runs(spec, "diffusion")), spec["log_points"] + 1
    assert len(table) == n_runs * table.step.nunique() and table.step.nunique() <= n_steps
    assert {"align_mu1", "align_mu2", "align_xi", "ratio", "balance", "flow_time"} <= set(table.columns)
    assert table.balance.between(0, 1).all()
    assert set(losses.set) == {"train", "test", "mean", "meancov"}
    assert (losses[losses.set == "test"].diff_to_test == 0).all()
    torch.testing.assert_close(torch.tensor(table.flow_time.to_numpy()),
                               torch.tensor(table.step.to_numpy() * spec["diffusion"]["lr"], dtype=torch.float64))


def test_projected_evaluation_sets_give_the_full_space_loss():
    """The DDPM loss sees x only through ⟨w_r, x⟩: the loss of held-out data projected on the
    basis equals the loss on the data itself once W lies in the span."""
    spec = {**_tiny_spec(), "d": 60}
    group = _group(spec, "diffusion")
    batch = synthetic.build(spec, group)
    snaps = synthetic.train(spec, "diffusion", batch, group)
    W = snaps[max(snaps)][0]
    sets = synthetic.evaluation_sets(spec, group, batch)
    test = torch.stack([synthetic._draw(spec, r, "test", spec["diffusion"]["n_eval"])[0]["x"] for r in group])
    Wfull = torch.einsum("rmk,rdk->rmd", W, batch["basis"])
    sc = synthetic.scales(group)
    torch.testing.assert_close(model.ddpm_loss_per_sample(W, sets["test"], 0.2, sc, spec["d"]),
                               model.ddpm_loss_per_sample(Wfull, test, 0.2, sc))


# ------------------------------------------------------------------ sparse signal (§11.5)
def test_sparse_amplitudes_and_clone_moments():
    """a ∈ {0, p^{-1/2}} with P(a ≠ 0) = p, so E a² = 1 and E a⁴ = 1/p; both clones keep the
    data's mean and meancov its covariance (5 s.e. at n samples)."""
    n, d, p = 40000, 6, 0.2
    a = data.amplitudes(0, "test", n, p)
    assert float((a != 0).double().mean()) == pytest.approx(p, abs=5 * math.sqrt(p * (1 - p) / n))
    assert float(a.square().mean()) == pytest.approx(1.0, abs=5 * math.sqrt((1 / p - 1) / n))
    mus = _mus(d, 2.0, (1.0,))
    test = data.draw(0, "test", n, d, mus, 1, 1.0, False, p)
    cl = data.clones(test, mus, 1.0, False, 0)
    X = test["x"].reshape(n, -1)
    C = cl["meancov"].reshape(n, -1)
    scale = float(torch.diagonal(torch.cov(X.T)).max())
    assert float((C.mean(0) - X.mean(0)).abs().max()) < 5 * math.sqrt(scale / n)
    assert float((torch.cov(C.T) - torch.cov(X.T)).abs().max()) < 5 * scale * math.sqrt(2 / n) * 3
    # the fourth moment along μ_{+1} differs: E a⁴ ‖μ‖⁴ / 2 for the data, less for the clone
    u = mus[0, 0] / mus[0, 0].norm()
    m4 = lambda x: float((x[:, 0] @ u).pow(4).mean())  # noqa: E731
    assert m4(test["x"]) == pytest.approx(2.0**4 / p / 2, rel=0.1)
    assert m4(cl["meancov"]) < 0.8 * m4(test["x"])


def test_dense_data_unchanged_by_the_sparsity_option():
    mus = _mus(10, 2.0, (1.0,))
    a, b = data.draw(1, "train", 50, 10, mus, 1, 1.0, False), data.draw(1, "train", 50, 10, mus, 1, 1.0, False, 1.0)
    assert torch.equal(a["x"], b["x"])


# ------------------------------------------------------------------ phases and fits (§11.7)
def _trajectory_table(slope=1.0, seeds=(0, 1, 2, 3, 4), qs=(0.1, 1.0, 10.0)):
    """Runs whose loss falls from 1 to 0.9 along a logistic in log step, ratio = 0.3 q^slope
    times seed noise at the growth end."""
    rng = np.random.default_rng(0)
    rows = []
    steps = np.unique(np.geomspace(1, 1000, 30).astype(int))
    for s in seeds:
        for q in qs:
            noise = math.exp(0.05 * rng.standard_normal())
            for k in [0, *steps]:
                drop = 1 / (1 + (300 / max(k, 1e-9)) ** 6)
                rows.append({"objective": "diffusion", "seed": s, "n_snr2": q, "m": 20, "width_exponent": 0.5,
                             "sparsity": 1.0, "step": k, "flow_time": 5.0 * k, "loss": 1 - 0.1 * drop,
                             "align_mu1": 0.3 * q**slope * noise, "align_xi": 1.0, "ratio": 0.3 * q**slope * noise})
    return pd.DataFrame(rows)


def test_phase_labels_follow_the_loss_drop():
    table = phases.label(_trajectory_table(), 0.01)
    run = table[(table.seed == 0) & (table.n_snr2 == 1.0)]
    drop = 1 / (1 + (300 / run.step.clip(lower=1e-9)) ** 6)
    frac = (drop - drop.iloc[0]) / (drop.iloc[-1] - drop.iloc[0])
    assert (run.phase == np.where(frac < 0.01, "growth", np.where(frac >= 0.99, "stationary", "transition"))).all()
    summary = phases.run_summary(table, 0.01)
    assert len(summary) == 15
    first_out = run[run.phase != "growth"].flow_time.min()
    assert summary[(summary.seed == 0) & (summary.n_snr2 == 1.0)].leaves_growth.iloc[0] == first_out
    assert summary.converged.all()
    # cut before the drop ends: the runs have not converged, and have no final values
    early = phases.run_summary(phases.label(_trajectory_table()[lambda t: t.step <= 300], 0.01), 0.01)
    assert not early.converged.any() and early.ratio_final.isna().all() and early.left_growth.all()
    # a run whose loss barely moves (1e-4 of the others' drop) has not left growth
    slow = _trajectory_table()
    slow.loc[slow.seed == 4, "loss"] = 1 - 1e-4 * (1 - slow.loc[slow.seed == 4, "loss"])
    s4 = phases.run_summary(phases.label(slow, 0.01), 0.01).query("seed == 4")
    assert not s4.left_growth.any() and s4.leaves_growth.isna().all() and not s4.converged.any()


@pytest.mark.parametrize("slope", [1.0, 0.2])
def test_loglog_fit_recovers_a_known_slope_with_a_covering_interval(slope):
    summary = phases.run_summary(phases.label(_trajectory_table(slope), 0.01), 0.01)
    fit = phases.loglog_fit(summary, "n_snr2", "ratio_growth", 500, 0)
    # seed noise 0.05 in log over 2 decades: slope s.e. ≈ 0.05 / (log(100) √(5/1.5)) ≈ 0.006
    assert fit["ci_low"] <= slope <= fit["ci_high"]
    assert fit["estimate"] == pytest.approx(slope, abs=5 * 0.006)
    assert fit["ci_high"] - fit["ci_low"] < 0.1


def test_alignment_growth_end_slopes_in_runs_and_fits():
    """Planted: the alignment grows 2×, 5×, 20× at steps 1-3 with ratio c·(n·SNR²)^s at step 2
    (the 10× end is step 3, the 3× end step 2); the fits' alignment rows recover the slopes,
    the flow rows give every shared flow time, and a never-growing n·SNR² leaves the range."""
    rows, rng = [], np.random.default_rng(0)
    for seed in range(4):
        for n in (0.1, 1.0, 10.0):
            jitter = math.exp(0.02 * rng.standard_normal())
            for step, (align, s) in enumerate(((1.0, 0.5), (2.0, 0.6), (5.0, 0.7), (20.0, 0.9))):
                rows.append({"objective": "diffusion", "seed": seed, "n_snr2": n, "m": 4, "width_exponent": 0.5,
                             "sparsity": 1.0, "step": step, "flow_time": 5.0 * step,
                             "align_mu1": align if n > 0.1 or step < 2 else 1.0, "ratio": jitter * n ** s})
    steps = pd.DataFrame(rows)
    ends = phases.alignment_ends(steps, [10.0, 3.0])
    assert ends.query("n_snr2 == 1.0").growth_step_x10.eq(3).all() and ends.query("n_snr2 == 1.0").growth_step_x3.eq(2).all()
    assert ends.query("n_snr2 == 0.1").ratio_x10.isna().all()
    grid = {"m": 4, "width_n_snr2": 1.0, "exponents": {"diffusion": [0.5]}}
    summary = steps.groupby(phases.RUN_KEYS, as_index=False).last().assign(
        ratio_growth=1.0, ratio_final=1.0, leaves_growth=1.0, reaches_stationary=1.0, align_mu1_growth=1.0,
        align_mu1_final=1.0, align_xi_growth=1.0, align_xi_final=1.0)
    fits = phases.fits(summary, grid, 200, 0, steps, [10.0, 3.0])
    align = fits[fits.phase == "alignment"].set_index("growth_factor")
    assert align.loc[10.0, "estimate"] == pytest.approx(0.9, abs=0.03)
    assert align.loc[3.0, "estimate"] == pytest.approx(0.7, abs=0.03)
    assert align.loc[10.0, "n_snr2_min"] == 1.0 and align.loc[3.0, "n_snr2_min"] == 1.0
    assert align.loc[10.0, "ci_low"] <= 0.9 <= align.loc[10.0, "ci_high"]
    flow = fits[fits.phase == "flow"].set_index("flow_time")
    assert list(flow.index) == [5.0, 10.0, 15.0]
    assert flow.loc[5.0, "estimate"] == pytest.approx(0.6, abs=0.03) and flow.loc[5.0, "n_snr2_min"] == 0.1


def test_literal_setting_sums_the_loss_and_stops_once_every_run_diverged():
    spec = _tiny_spec()  # two signal patches and one noise patch: P = 3
    literal = {"loss": "sum", "lr": 0.5, "steps": 400, "seeds": [0, 1], "n_snr2": [0.75, 6.75]}
    lit = synthetic.literal_spec(spec, literal)
    assert lit["diffusion"]["lr"] == 0.5 * 3 * spec["d"] and lit["diffusion"]["steps"] == 400
    assert [(r["seed"], r["n_snr2"]) for r in synthetic.runs(lit, "diffusion")] == [(0, 0.75), (0, 6.75), (1, 0.75), (1, 6.75)]
    assert synthetic.literal_spec(spec, {**literal, "loss": "mean"})["diffusion"]["lr"] == 0.5
    W0 = torch.ones(2, 1, 3, dtype=torch.float64)
    out = training.gradient_descent(W0, lambda W: W.pow(2).sum((1, 2)) * torch.tensor([1.0, 2.0]), 50.0, 100,
                                    [0, 10, 100])
    assert torch.isfinite(out[0][1]).all() and torch.isnan(out[100][1]).all() and torch.isnan(out[100][0]).all()


def test_crossing_interpolates_in_log_log():
    df = pd.DataFrame({"seed": [0, 0, 0], "q": [0.1, 1.0, 10.0], "r": [0.01, 0.1, 10.0]})
    # log r goes from log 0.1 to log 10 between q = 1 and 10: crosses 1 at √10
    assert phases.crossing(df, "q", "r") == pytest.approx(math.sqrt(10))
    assert math.isnan(phases.crossing(df.assign(r=[0.1, 0.2, 0.3]), "q", "r"))


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


# ------------------------------------------------------------------ figures
@pytest.fixture(scope="module")
def tiny_tables(tmp_path_factory):
    """The tiny config's synthetic tables, analysis tables and digits tables, on disk."""
    from easy2hard.core.tables import write_parquet
    from easy2hard.pipeline import config as e2h_config, plan

    cfg = e2h_config.validate(load_test_config("multipatch"))
    spec = {**cfg["multipatch"]["synthetic"], "precision": "float64"}
    root = tmp_path_factory.mktemp("multipatch")
    tables = [synthetic.run_all(spec, o) for o in ("classification", "diffusion")]
    settings = plan.multipatch.analysis_params(cfg)
    out = phases.summarise(pd.concat([t[0] for t in tables]), tables[1][1], settings["analysis"], settings["grid"])
    paths = {name: str(root / f"{name}.parquet") for name in (*out, "losses")}
    for name, table in {**out, "losses": tables[1][1]}.items():
        write_parquet(table, paths[name])
    dig = {**cfg["multipatch"]["digits"], "root": str(root)}
    images, labels = digits.load_digits8()
    run_list = noisy_digits.runs(dig)
    batch = noisy_digits.build(dig, images, labels, run_list)
    snaps = {o: noisy_digits.train(dig, o, batch) for o in ("classification", "diffusion")}
    align = pd.concat([noisy_digits.alignment_table(o, run_list, batch, snaps[o]) for o in snaps])
    align.insert(0, "source", "digits8")
    maps = noisy_digits.maps(dig, run_list, batch, *(snaps[o][max(snaps[o])][0] for o in snaps))
    paths["alignment"], paths["maps"] = str(root / "alignment.parquet"), str(root / "maps.parquet")
    write_parquet(align, paths["alignment"])
    write_parquet(noisy_digits.maps_table(run_list, maps, batch["side"]), paths["maps"])
    return cfg, paths, out


def _draw(cfg, name, paths):
    from easy2hard.pipeline import plan

    fig = next(f for f in plan.multipatch.STAGE.figures if f.name == name)
    inputs = fig.inputs(cfg, "results")
    mapped = {group: [paths[group if group in paths else "losses"]] for group in inputs}
    figure, drawn = fig.function()(mapped, fig.params(cfg))
    import matplotlib.pyplot as plt

    plt.close(figure)
    return drawn


def test_alignment_figure_draws_both_objectives_and_the_losses(tiny_tables):
    cfg, paths, out = tiny_tables
    drawn = _draw(cfg, "multipatch_alignment", paths)["alignment"]
    snrs = cfg["multipatch"]["figures"]["alignment_snr"]
    series = set(drawn.series)
    assert {"diffusion: signal", "diffusion: noise", "classification: noise", "test loss − 1"} <= series
    steps = out["steps"]
    want = steps[(steps.objective == "diffusion") & (steps.n_snr2 == snrs[0]) & (steps.m == cfg["multipatch"]["synthetic"]["m"])
                 & (steps.sparsity == 1) & (steps.width_exponent == 0.5) & (steps.step > 0)]
    got = drawn[(drawn.series == "diffusion: noise") & (drawn.n_snr2 == snrs[0])]
    assert len(got) == want.step.nunique()
    assert got["mean"].iloc[-1] == pytest.approx(want[want.step == want.step.max()].align_xi.mean())


def test_phases_and_width_figures_draw_the_summary(tiny_tables):
    cfg, paths, out = tiny_tables
    drawn = _draw(cfg, "multipatch_phases", paths)["phases"]
    runs = out["runs"]
    grow = runs[(runs.objective == "diffusion") & (runs.m == 4) & (runs.sparsity == 1) & (runs.width_exponent == 0.5)]
    assert drawn.series.str.startswith("diffusion, signal alignment 10×").any()
    line = drawn[drawn.series.str.startswith("diffusion, signal alignment 3×")]
    assert list(line.n_snr2) == sorted(grow.n_snr2.unique())
    assert line["mean"].iloc[-1] == pytest.approx(grow[grow.n_snr2 == line.n_snr2.iloc[-1]].ratio_x3.mean())
    flow = drawn[drawn.series == "slope at fixed flow time"]
    assert len(flow) == out["steps"].query("objective == 'diffusion' and m == 4 and step > 0").flow_time.nunique()
    width = _draw(cfg, "multipatch_width", paths)["width"]
    assert set(width.m) <= set(cfg["multipatch"]["synthetic"]["width"]["m"])
    assert set(width.width_exponent) == {0.5, 1.0}


def test_clones_and_digits_figures(tiny_tables):
    cfg, paths, _ = tiny_tables
    drawn = _draw(cfg, "multipatch_clones", paths)["clones"]
    assert set(drawn.sparsity) == {1.0, cfg["multipatch"]["synthetic"]["sparse"]["sparsity"]}
    assert {"meancov − test", "mean − test", "test"} <= set(drawn.series)
    sweep = _draw(cfg, "multipatch_digits_sweep", paths)["sweep"]
    assert set(sweep.snr_scale) == set(cfg["multipatch"]["digits"]["snr_scale"])
    dyn = _draw(cfg, "multipatch_digits", {**paths, "alignment": paths["alignment"]})["dynamics"]
    assert set(dyn.snr_scale) == set(cfg["multipatch"]["figures"]["maps_snr_scale"])


# ------------------------------------------------------------------ workflow
def test_tiny_config_plans_only_this_stage_and_theory():
    from easy2hard.pipeline import config as e2h_config, plan

    cfg = e2h_config.validate(load_test_config("multipatch"))
    targets = plan.final_output(cfg, "results")
    assert all("/theory/" in t or "multipatch" in t or t.split("/")[-1].split(".")[0] in
               ("hermite_coefficients", "loss_landscape", "radial_term", "claims") for t in targets)
    assert not plan.multipatch.check(cfg)
    bad = {**cfg, "multipatch": {**cfg["multipatch"], "figures": {"alignment_snr": [2.0], "maps_snr_scale": [0.3]}}}
    problems = plan.multipatch.check(bad)
    assert any("multipatch.figures.alignment_snr" in p for p in problems)
    assert any("multipatch.figures.maps_snr_scale" in p for p in problems)


@pytest.mark.slow
def test_tiny_workflow_runs(run_workflow):
    run_workflow(load_test_config("multipatch"))
    res = run_workflow.workdir / "results"
    for name in ("alignment", "phases", "width", "clones", "digits", "digits_sweep"):
        assert (res / "figures" / f"multipatch_{name}.png").stat().st_size > 0
    table = pd.read_parquet(res / "multipatch" / "synthetic" / "classification.parquet")
    assert set(table.n_snr2) == {0.75, 6.75} and set(table.seed) == {0, 1}
    fits = pd.read_parquet(res / "multipatch" / "synthetic" / "fits.parquet")
    assert {"ratio vs n_snr2", "align_xi vs m", "classifies vs m"} <= set(fits.quantity)
    assert {"alignment", "flow"} <= set(fits.phase) and set(fits.growth_factor.dropna()) == {10.0, 3.0}
    literal = pd.read_parquet(res / "multipatch" / "literal" / "diffusion.parquet")
    assert set(literal.loss_reading) == {"sum"} and set(literal.n_snr2) == {0.75, 6.75}
    maps = pd.read_parquet(res / "multipatch" / "digits" / "maps.parquet")
    assert set(maps.kind) == {"input", "grad_classification", "grad_diffusion", "denoised"}
