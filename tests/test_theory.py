"""The theory (easy2hard.theory) against closed forms and independent Monte-Carlo routes."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from easy2hard.core import hermite
from easy2hard.core import mixed_cumulant as mcm
from easy2hard.mcm import one_neuron
from easy2hard.mcm import analysis
from easy2hard.core import ou
from easy2hard.theory import coefficients, exponents, landscape, radial
from easy2hard.core.activations import NAMES

ACTS = [a for a in NAMES]


def _mc_check(samples, expect, extra=0.0):
    """Mean of ``samples`` equals ``expect`` within 5 standard errors (plus ``extra``)."""
    samples = np.asarray(samples, dtype=np.float64)
    se = samples.std(ddof=1) / math.sqrt(samples.size)
    assert abs(samples.mean() - expect) <= 5 * se + extra, (samples.mean(), expect, se)


# ---------------------------------------------------------------------------- ℓ_k
def test_l_k_closed_forms():
    l = coefficients.latent_l("rademacher", 8)
    np.testing.assert_allclose(l[:5], [1, 0, 0, 0, -1 / 12], atol=1e-15)
    for a in (0.05, 0.1, 0.25, 0.5):
        l = coefficients.latent_l("three_point", 6, a=a)
        np.testing.assert_allclose(l[1:4], 0, atol=1e-14)
        assert l[4] == pytest.approx((1 / (2 * a) - 3) / 24, rel=1e-12)
    for df in (5.0, 7.0, 10.0):
        l = coefficients.latent_l("student_t", 4, df=df)
        np.testing.assert_allclose(l[1:4], 0, atol=1e-13)
        assert l[4] == pytest.approx(6 / (df - 4) / 24, rel=1e-10)
    assert math.isinf(coefficients.latent_l("student_t", 6, df=5.0)[6])
    for beta_u in (1.0, 4.0, 9.0):
        l = coefficients.spike_l(coefficients.Spike(spike="covariance", beta_u=beta_u), 4)
        assert l[2] == pytest.approx(beta_u / 2) and l[4] == pytest.approx(beta_u**2 / 8)
    l = coefficients.spike_l(coefficients.Spike(beta_v=4.0), 4)
    assert l[4] == pytest.approx((4 / 5) ** 2 * (-1 / 12))


@pytest.mark.parametrize("model,direction", [
    (mcm.MCM(N=3, beta_v=4.0), "v"),
    (mcm.MCM(N=3, latent="three_point", latent_a=0.2), "v"),
    (mcm.MCM(N=3, latent="student_t", student_df=9.0), "v"),
    (mcm.MCM(N=3, beta_u=9.0, correlated=True), "v"),
    (mcm.MCM(N=3, beta_u=4.0, beta_v=0.0), "u"),
])
def test_l_k_match_samples_of_the_mcm(model, direction):
    """ℓ_k = E[He_k(y)]/k! estimated on y = <v, x> (or <u, x>) drawn by easy2hard.core.mixed_cumulant."""
    gen = torch.Generator().manual_seed(1)
    u, v, m = mcm.spikes(3)
    x = mcm.sample(model, 400_000, u, v, m, gen).double()
    y = (x @ (v if direction == "v" else u).double()).numpy()
    if direction == "u":
        spike = coefficients.Spike(spike="covariance", beta_u=model.beta_u)
    else:
        spike = coefficients.Spike(law=model.latent, beta_v=model.beta_v, a=model.latent_a,
                             df=model.student_df, correlated=model.correlated, beta_u=model.beta_u)
    l = coefficients.spike_l(spike, 4)
    H = hermite.he(4, y)
    for k in range(1, 5):
        _mc_check(H[k] / math.factorial(k), l[k], extra=1e-6)  # mcm samples are float32


# ---------------------------------------------------------------------------- c_k
@pytest.mark.parametrize("act", ["sigma_star", "tanh", "relu", "scaled_tanh", "sigmoid", "relu2"])
@pytest.mark.parametrize("t", [0.1, 1.0])
def test_c_k_three_routes_agree(act, t):
    """Production route e^{-kt} E[f_t He_k] == E_g[Ψ_t(g) He_k(g)] (nested quadrature of Ψ_t)
    == e^{-kt}(E[σ² He_k] - 2k E[σ He_{k-1}]) (Stein, σ' never used)."""
    kmax = 6
    c = coefficients.hermite_c(act, t, kmax=kmax)
    g, w = hermite.split_rule(order=128)
    nested = (hermite.he(kmax, g) * coefficients.psi(act, g, t)) @ w
    sig, _ = coefficients.activation_values(act, g, t, math.inf)
    a_sq = (hermite.he(kmax, g) * sig * sig) @ w
    a_1 = (hermite.he(kmax, g) * sig) @ w
    stein = np.exp(-t * np.arange(kmax + 1)) * (a_sq - 2 * np.arange(kmax + 1) * np.r_[0, a_1[:-1]])
    tol = 1e-8 * max(1.0, np.abs(c).max())
    np.testing.assert_allclose(nested, c, atol=tol)
    np.testing.assert_allclose(stein, c, atol=tol)


@pytest.mark.parametrize("act", ACTS)
def test_quadrature_order_has_converged(act):
    """The default 128 nodes a side agree with 512: c_k to 1e-9 of the largest c_k, L_0 to
    1e-7 relative (L_0 is a difference of terms up to ~100x larger; scaled_tanh is the worst)."""
    for t in (0.1, 1.0):
        c = coefficients.hermite_c(act, t, kmax=8)
        ref = coefficients.hermite_c(act, t, kmax=8, order=512)
        assert np.abs(c - ref).max() <= 1e-9 * max(1.0, np.abs(ref).max())
    r = np.array([0.01, 0.3, 1.0, 3.0])
    L0, ref = radial.radial_loss(act, r, 0.3), radial.radial_loss(act, r, 0.3, order=512)
    np.testing.assert_allclose(L0, ref, rtol=1e-7, atol=1e-15)


# ---------------------------------------------------------------------------- Stein and L(m)
@pytest.mark.parametrize("act", ["sigma_star", "tanh", "relu"])
def test_integrated_loss_matches_monte_carlo_over_z(act):
    """E_z ‖sqrt(Δ) s_w(x_t) + z‖² - C(x_0) = Δ_t E_ξ[r²σ² - 2hσ + 2r²σ'] (Stein's lemma)."""
    t, N, nz = 0.3, 5, 200_000
    gen = torch.Generator().manual_seed(2)
    w = torch.randn(N, generator=gen, dtype=torch.float64)
    w = 1.3 * w / w.norm()
    x0 = torch.randn(3, N, generator=gen, dtype=torch.float64)
    for x in x0:
        z = torch.randn(nz, N, generator=gen, dtype=torch.float64)
        mc = one_neuron.loss_mc(w, x.expand(nz, N), z, act, t, math.inf).numpy()
        const = ou.delta(t) * math.exp(-2 * t) * float(x @ x) + math.exp(-4 * t) * N
        expect = ou.delta(t) * float(coefficients.psi(act, float(w @ x), t, r=1.3))
        _mc_check(mc - const, expect)


@pytest.mark.parametrize("act", ["sigma_star", "tanh"])
@pytest.mark.parametrize("spike", [coefficients.Spike(),
                                   coefficients.Spike(law="three_point", a=0.2),
                                   coefficients.Spike(law="student_t", df=7.0),
                                   coefficients.Spike(spike="covariance", beta_u=9.0)],
                         ids=["rademacher", "three_point", "student_t", "covariance"])
def test_population_loss_against_monte_carlo(act, spike):
    """L(m): exact 1-D route and the Hermite series both match Δ_t E[Ψ_t(m y + sqrt(1-m²) g)]
    with y drawn by easy2hard.core.mixed_cumulant; the series is used only where it converges."""
    t, n = 0.3, 100_000
    gen = torch.Generator().manual_seed(3)
    if spike.spike == "covariance":
        ms = [0.2, 0.3]  # the series in m converges only for small m² e^{-2t} β_u
        y = math.sqrt(1 + spike.beta_u) * torch.randn(n, generator=gen, dtype=torch.float64)
    else:
        ms = [0.5, 1.0]
        y = mcm.latent(spike.law, n, gen, spike.a, spike.df).double()
    g = torch.randn(n, generator=gen, dtype=torch.float64)
    c = coefficients.hermite_c(act, t, kmax=30)
    for m in ms:
        lam = (m * y + math.sqrt(1 - m * m) * g).numpy()
        mc = ou.delta(t) * coefficients.psi(act, lam, t, order=64)
        exact = float(landscape.exact_population_loss(act, m, t, spike))
        _mc_check(mc, exact, extra=1e-10)  # at m = 1 a Rademacher λ is exact: SE = 0
        if spike.law != "student_t" or spike.spike == "covariance":
            series = float(landscape.population_loss(m, c, coefficients.spike_l(spike, 30), t))
            assert abs(series - exact) < 1e-4 * max(1.0, abs(exact))


# ---------------------------------------------------------------------------- k*
@pytest.mark.parametrize("t", [0.05, 0.1, 0.3, 1.0, 2.0])
def test_k_star_of_the_paper(t):
    row = exponents.exponent_row("sigma_star", t, coefficients.Spike())
    assert (row["k_star"], row["learns"], row["exponent"], row["log_factor"]) == (4, True, 3.0, False)
    for act in ("sigma_star", "tanh", "relu"):
        row = exponents.exponent_row(act, t, coefficients.Spike(spike="covariance", beta_u=9.0))
        assert (row["k_star"], row["exponent"], row["log_factor"]) == (2, 1.0, True)
    covariance = coefficients.Spike(spike="covariance", beta_u=9.0)
    assert exponents.exponent_row("tanh", t, covariance)["learns"]


def test_relu_is_blind_to_symmetric_cumulant_spikes():
    """c_k = 0 for even k >= 4 (closed form), so relu has no k* and L(m) is flat."""
    c = coefficients.hermite_c("relu", 0.3, kmax=12)
    np.testing.assert_allclose(c[4::2], 0, atol=1e-10)
    assert abs(c[3]) > 0.1
    assert exponents.exponent_row("relu", 0.3, coefficients.Spike())["k_star"] is None
    L = landscape.exact_population_loss("relu", np.linspace(0, 1, 6), 0.3, coefficients.Spike())
    np.testing.assert_allclose(L, L[0], atol=1e-10)


def test_k_star_with_a_missing_coefficient_is_the_next_one():
    c = np.array([1.0, 0.0, 0.0, 0.0, 1e-12, 0.0, 2.0])
    l = np.array([1.0, 0.0, 0.5, 0.0, 1.0, 0.0, -1.0])
    assert exponents.information_exponent(c, l) == (6, -2.0)
    assert exponents.predicted_exponent(1) == (1.0, False)
    assert exponents.predicted_exponent(2) == (1.0, True)
    assert exponents.predicted_exponent(5) == (4.0, False)


def test_correlated_latents_couple_at_second_order():
    """E[y_u y_v] = sqrt(β_u) a sqrt(2/π) on MCM samples; the order-2 direction that pSGD
    follows is the extreme eigenvector of c_2 T, found here by brute force on the circle."""
    model = mcm.MCM(N=3, beta_u=9.0, beta_v=4.0, correlated=True)
    u, v, m = mcm.spikes(3)
    x = mcm.sample(model, 400_000, u, v, m, torch.Generator().manual_seed(4)).double()
    _mc_check(((x @ u.double()) * (x @ v.double())).numpy(),
              3.0 * math.sqrt(0.8) * math.sqrt(2 / math.pi))
    rho = 3.0 * math.sqrt(2 / math.pi)
    for c2 in (-1.0, 0.5):
        product, v_share = exponents.correlated_coupling(c2, 9.0)
        ang = np.linspace(0, np.pi, 200_001)
        quad = c2 * (4.5 * np.cos(ang) ** 2 + rho * np.cos(ang) * np.sin(ang))
        i = np.argmin(quad)
        assert product == pytest.approx(quad[i], abs=1e-8)
        assert v_share == pytest.approx(abs(np.sin(ang[i])), abs=1e-4)
    row = exponents.exponent_row("tanh", 0.3, coefficients.Spike(correlated=True, beta_u=9.0))
    assert (row["k_star"], row["coupling"], row["log_factor"]) == (2, "covariance", True)


# ---------------------------------------------------------------------------- radial term
@pytest.mark.parametrize("act", ACTS)
def test_radial_term_equals_its_stein_form(act):
    """L_0(r) = Δ_t r² E[σ(rg)²] (so w = 0 attracts at zero overlap for every activation)."""
    r = np.array([0.0, 0.05, 0.5, 1.0, 2.5])
    for t in (0.1, 1.0):
        h, w = hermite.split_rule(0.0, r, 0.0, 256)
        sig, _ = coefficients.activation_values(act, h, t, math.inf)
        expect = ou.delta(t) * r**2 * (sig * sig * w).sum(-1)
        np.testing.assert_allclose(radial.radial_loss(act, r, t), expect, rtol=1e-7, atol=1e-14)
        assert radial.zero_attracts(act, t)


@pytest.mark.parametrize("act", ["tanh", "relu", "sigmoid"])
def test_radial_term_matches_monte_carlo_loss_at_zero_overlap(act):
    """E_{x0 ~ N(0,I), z} ℓ_mc - E C(x0) = L_0(r): the one-neuron loss away from any spike."""
    t, N, n, r = 0.3, 4, 400_000, 0.8
    gen = torch.Generator().manual_seed(5)
    w = torch.zeros(N, dtype=torch.float64)
    w[0] = r
    x0 = torch.randn(n, N, generator=gen, dtype=torch.float64)
    z = torch.randn(n, N, generator=gen, dtype=torch.float64)
    mc = one_neuron.loss_mc(w, x0, z, act, t, math.inf).numpy()
    const = ou.delta(t) * math.exp(-2 * t) * N + math.exp(-4 * t) * N
    # the w-independent part fluctuates; subtract it sample by sample to reduce variance
    const_s = (ou.delta(t) * math.exp(-2 * t) * (x0 * x0).sum(-1)
               + math.exp(-4 * t) * N).numpy()
    _mc_check(mc - const_s, float(radial.radial_loss(act, r, t)))
    # the w-independent part C(x_0) averages to Δ_t e^{-2t} N + e^{-4t} N (E‖x_0‖² = N)
    _mc_check(const_s, const)


@pytest.mark.parametrize("act,power", [("sigmoid", 2), ("tanh", 4), ("relu", 4),
                                       ("sigma_star", 4), ("relu2", 6), ("tanh2", 6)])
def test_radial_term_small_r_power(act, power):
    """L_0 ~ r^{2+2p}, p the order of the first non-zero derivative of σ at 0."""
    r = np.array([1e-3, 2e-3])
    L0 = radial.radial_loss(act, r, 0.3)
    assert math.log(L0[1] / L0[0]) / math.log(2) == pytest.approx(power, abs=0.02)


# ---------------------------------------------------------------------------- helpers for figures
def test_predicted_slope_and_rescaling():
    df = pd.DataFrame({"sweep": ["a", "a", "b"], "activation": ["tanh"] * 3,
                       "t": [0.3, 0.3, 0.3], "spike": ["covariance", "cumulant", "cumulant"],
                       "exponent": [1.0, 3.0, 1.0], "log_factor": [True, False, True]})
    assert analysis.predicted_slope(df, sweep="a", spike="cumulant", t=0.3) == (3.0, False)
    assert analysis.predicted_slope(df, sweep="b", t=0.3 + 1e-12) == (1.0, True)
    with pytest.raises(ValueError, match="found 2"):
        analysis.predicted_slope(df, sweep="a")
    with pytest.raises(KeyError, match="nope"):
        analysis.predicted_slope(df, nope=1)
    np.testing.assert_allclose(analysis.rescale_n([64.0, 8.0], [4, 2], 3.0, False), [1.0, 1.0])
    np.testing.assert_allclose(analysis.rescale_n(10 * math.log(10), 10, 1.0, True), 1.0)


def test_bad_r_grid_names_the_key():
    with pytest.raises(ValueError, match="theory.r"):
        radial.r_grid({"min": 2.0, "max": 1.0, "points": 5})


# ---------------------------------------------------------------------------- pipeline
@pytest.mark.slow
def test_theory_pipeline_tables_and_figures(run_workflow):
    from tests.conftest import tiny_config

    theory_cfg = {"enabled": True, "activations": ["sigma_star", "relu"], "t": [0.3], "kmax": 4, "order": 48,
                  "latents": {"rad": {"spike": "cumulant"},
                              "cov": {"spike": "covariance", "beta_u": 4.0}},
                  "r": {"min": 0.1, "max": 1.0, "points": 4}, "m_points": 5}
    outs = ["results/theory/hermite.parquet", "results/theory/exponents.parquet",
            "results/theory/radial.parquet", "results/theory/landscape.parquet"]
    figs = [f"results/figures/{n}.{e}" for n in ("radial_term", "hermite_coefficients",
                                                 "loss_landscape") for e in ("pdf", "png")]
    sweeps = ["results/theory/sweeps/cov.parquet", "results/theory/sweeps/cum.parquet"]
    run_workflow(tiny_config(theory=theory_cfg), *outs, *figs, *sweeps)
    wd = run_workflow.workdir
    her = pd.read_parquet(wd / outs[0])
    assert {"activation", "t", "latent", "k", "c_k", "l_k", "product"} <= set(her.columns)
    assert len(her) == 2 * 1 * 2 * 5
    exp = pd.read_parquet(wd / outs[1])
    own = exp[exp["sweep"] == ""].set_index(["activation", "latent"])
    assert own.loc[("sigma_star", "rad"), "k_star"] == 4
    assert own.loc[("relu", "cov"), "k_star"] == 2 and pd.isna(own.loc[("relu", "rad"), "k_star"])
    # one table per MCM sweep: tiny "cov" sweep (β_u = 4, β_v = 0) and "cum" (β_v = inf)
    cov, cum = (pd.read_parquet(wd / path) for path in sweeps)
    assert set(cov["spike"]) == {"covariance"} and set(cov["sweep"]) == {"cov"}
    assert analysis.predicted_slope(cum, sweep="cum", spike="cumulant") == (3.0, False)
    rad = pd.read_parquet(wd / outs[2])
    assert len(rad) == 2 * 4 and rad["zero_attracts"].all()
    for f in figs:
        assert (wd / f).stat().st_size > 1000
