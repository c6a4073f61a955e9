"""Statistics of the MCM sampler (mcm.sample and the engine's chunked sampler) and its
clones, with tolerances of 5 standard errors derived from the sample size."""

import math

import pytest
import torch

from easy2hard.core import mixed_cumulant as mcm
from easy2hard.core import streams
from easy2hard.mcm.engine import Cell, NeuronRun, sample_chunk

n = 200_000
Z = 5.0


def _se_mean(var):
    return Z * math.sqrt(var / n)


def kurtosis_excess(law, a=0.1, df=5.0):
    """Excess kurtosis of ν (closed forms): Rademacher -2, three-point 1/(2a) - 3,
    Student-t (variance 1) 6/(df - 4)."""
    return {"rademacher": -2.0, "three_point": 1 / (2 * a) - 3, "student_t": 6 / (df - 4)}[law]


def fourth_cumulant(y):
    y = y.double()
    return float((y**4).mean() - 3 * (y**2).mean() ** 2)


def k4_tol(y, count, factor=1.0):
    """Z standard errors of the fourth-cumulant estimator (delta method), plus float32
    rounding (the Rademacher estimator has zero variance)."""
    y = y.double()
    m2 = (y * y).mean()
    return Z * factor * math.sqrt(float((y**4 - 6 * m2 * y * y).var()) / count) + 1e-5


def _draws(model, kind="axes"):
    gen = streams.generator(1, "test", model.N)
    u, v, m = mcm.spikes(model.N, kind, gen)
    return mcm.sample(model, n, u, v, m, generator=gen), u, v, m


LAWS = [("rademacher", math.inf), ("three_point", math.inf), ("student_t", 9.0),
        ("rademacher", 4.0)]


@pytest.mark.parametrize("law, beta_v", LAWS)
def test_cumulant_spike_moments(law, beta_v):
    # Student-t with df = 9 so that the 8th moment (the variance of y^4) is finite.
    df = 9.0
    model = mcm.MCM(N=12, beta_u=2.0, beta_v=beta_v, latent=law, student_df=df, mean_shift=0.5)
    x, u, v, m = _draws(model)
    y = x @ v
    assert abs(float(y.mean())) < _se_mean(1)
    assert abs(float((y * y).mean()) - 1) < Z * math.sqrt(float((y * y).var()) / n) + 1e-5
    # Whitening by S scales the fourth cumulant of <v, x> by a^4.
    k4 = model.a**4 * kurtosis_excess(law, df=df)
    assert abs(fourth_cumulant(y) - k4) < k4_tol(y, n)
    yu = x @ u
    assert abs(float((yu * yu).mean()) - 3.0) < _se_mean(2 * 9.0)
    assert abs(float((x @ m).mean()) - 0.5) < _se_mean(1)


def test_bulk_isotropic_and_mean():
    model = mcm.MCM(N=10, beta_u=3.0, beta_v=math.inf, mean_shift=1.0)
    x, u, v, m = _draws(model, "random")
    P = torch.eye(10) - torch.outer(u, u) - torch.outer(v, v) - torch.outer(m, m)
    mean, cov = mcm.moments(model, u, v, m)
    xc = x - mean
    emp = (xc.T @ xc / n).double()
    bulk = P.double() @ emp @ P.double()
    assert torch.allclose(bulk, P.double(), atol=_se_mean(2))
    assert torch.allclose(emp, cov.double(), atol=_se_mean(2 * 16))
    assert torch.allclose(x.mean(0).double(), mean.double(), atol=_se_mean(4))


def test_correlated_latents():
    model = mcm.MCM(N=8, beta_u=9.0, beta_v=math.inf, correlated=True)
    x, u, v, m = _draws(model)
    c = float(((x @ u) * (x @ v)).mean())
    assert abs(c - 3 * math.sqrt(2 / math.pi)) < _se_mean(10)
    _, cov = mcm.moments(model, u, v, m)
    assert abs(float(u @ cov @ v) - 3 * math.sqrt(2 / math.pi)) < 1e-6


def test_random_spikes_orthonormal():
    u, v, m = mcm.spikes(50, "random", streams.generator(3, "spikes"))
    B = torch.stack([u, v, m])
    assert torch.allclose(B @ B.T, torch.eye(3), atol=1e-5)
    assert not torch.allclose(u.abs(), torch.eye(50)[0])


@pytest.mark.parametrize("kind", ["mean", "mean_iso", "meancov"])
def test_clone_moments(kind):
    """mean = N(μ, I), mean_iso = N(μ, σ̄² I), meancov = N(μ, Σ) (docs/science.md §3.6)."""
    model = mcm.MCM(N=6, beta_u=4.0, beta_v=math.inf, correlated=True, mean_shift=1.0)
    u, v, m = mcm.spikes(6)
    mean, cov = mcm.moments(model, u, v, m)
    x = mcm.clone_sampler(kind, mean, cov)(n, streams.generator(0, "clone"))
    target = {"meancov": cov, "mean": torch.eye(6),
              "mean_iso": torch.eye(6) * torch.diagonal(cov).mean()}[kind]
    xc = x - x.mean(0)
    assert torch.allclose(x.mean(0), mean, atol=_se_mean(5))
    assert torch.allclose(xc.T @ xc / n, target, atol=_se_mean(2 * 25))
    assert abs(fourth_cumulant(xc @ v)) < Z * math.sqrt(96 * float(target[1, 1]) ** 4 / n)


@pytest.mark.parametrize("law, correlated, spikes", [
    ("rademacher", False, "axes"), ("three_point", False, "random"),
    ("student_t", False, "axes"), ("rademacher", True, "random")])
def test_engine_sampler_matches_model(law, correlated, spikes):
    """The engine's chunked sampler draws the same law as mcm.sample."""
    cell = Cell(N=8, steps=1, spikes=spikes, mean_shift=0.5, student_df=9.0)
    runs = [NeuronRun(seed=s, latent=law, correlated=correlated, beta_u=4.0, beta_v=math.inf)
            for s in range(4)]
    x = sample_chunk(cell, runs, n // 4)
    for r, xr in zip(runs, x):
        u, v, m = mcm.spikes(8, spikes, streams.generator(r.seed, "mcm-spikes", 8))
        y, yu = xr @ v, xr @ u
        k = n // 4
        assert abs(float((y * y).mean()) - 1) < Z * math.sqrt(float((y * y).var()) / k) + 1e-5
        assert abs(float((yu * yu).mean()) - 5) < Z * math.sqrt(2 * 25 / k)
        assert abs(float((xr @ m).mean()) - 0.5) < Z * math.sqrt(1 / k)
        if not correlated:
            k4 = kurtosis_excess(law, df=9.0)
            assert abs(fourth_cumulant(y) - k4) < k4_tol(y, k)
        else:
            c = float((y * yu).mean())
            assert abs(c - 2 * math.sqrt(2 / math.pi)) < Z * math.sqrt(float((y * yu).var()) / k)
