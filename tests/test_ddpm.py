"""DDPM (docs/science.md §2, discrete): schedule, forward process, loss and ancestral sampling.

Statistical checks use tolerances of 5 standard errors of the sample at hand.
"""

import math

import numpy as np
import pytest
import torch
from easy2hard.core import ddpm


def test_linear_schedule_and_alpha_bar():
    s = ddpm.Schedule()
    betas, ab = s.betas().numpy(), s.alpha_bar().numpy()
    assert len(betas) == 1000 and betas[0] == pytest.approx(1e-4) and betas[-1] == pytest.approx(2e-2)
    assert np.allclose(np.diff(betas), (2e-2 - 1e-4) / 999)
    assert np.allclose(ab, np.cumprod(1 - np.linspace(1e-4, 2e-2, 1000)), rtol=1e-12)
    assert ab[-1] < 1e-4  # x_{T-1} is essentially pure noise


class GaussianOracle(torch.nn.Module):
    """E[ε | x_k] for data x_0 ~ N(μ, s² I): the exact (linear) optimal noise predictor."""

    def __init__(self, mu, s, alpha_bar):
        super().__init__()
        self.mu, self.s, self.ab = mu, s, alpha_bar.float()

    def forward(self, x, k):
        a = self.ab[k].view(-1, *([1] * (x.dim() - 1)))
        return (1 - a).sqrt() * (x - a.sqrt() * self.mu) / (a * self.s**2 + 1 - a)


@pytest.mark.parametrize("k", [0, 100, 500, 999])
def test_forward_marginal_and_oracle_loss(k):
    """x_k ~ N(sqrt(ᾱ)μ, ᾱs² + 1 - ᾱ); the oracle's loss is the MMSE ᾱs²/(ᾱs² + 1 - ᾱ)."""
    mu, s, n = 0.4, 0.5, 4000
    ab = ddpm.Schedule().alpha_bar()
    a = float(ab[k])
    g = torch.Generator().manual_seed(k)
    x0 = mu + s * torch.randn(n, 1, 4, 4, generator=g)
    eps = torch.randn(x0.shape, generator=g)
    kk = torch.full((n,), k)
    xk = ddpm.noisy(x0, kk, eps, ab)
    var = a * s**2 + 1 - a
    assert abs(xk.mean().item() - math.sqrt(a) * mu) < 5 * math.sqrt(var / xk.numel())
    assert abs(xk.var().item() - var) < 5 * var * math.sqrt(2 / xk.numel())

    losses = ddpm.per_image_loss(GaussianOracle(mu, s, ab), x0, kk, eps, ab).double()
    mmse = a * s**2 / var
    assert abs(losses.mean().item() - mmse) < 5 * losses.std().item() / math.sqrt(n) + 1e-6
    # A predictor that returns the true noise has zero loss; one that returns 0 has loss ~1.
    true_eps = ddpm.per_image_loss(lambda x, kk_: (x - math.sqrt(a) * x0) / math.sqrt(1 - a), x0, kk, eps, ab)
    assert true_eps.max().item() < 1e-6
    zero = ddpm.per_image_loss(lambda x, kk_: torch.zeros_like(x), x0, kk, eps, ab).double()
    assert abs(zero.mean().item() - 1) < 5 * zero.std().item() / math.sqrt(n)


def test_ancestral_sampling_with_oracle_recovers_the_gaussian():
    mu, s, n = 0.3, 0.5, 500
    sched = ddpm.Schedule()
    x = ddpm.sample(GaussianOracle(mu, s, sched.alpha_bar()), n, (1, 4, 4), sched,
                    torch.Generator().manual_seed(0))
    assert x.shape == (n, 1, 4, 4) and x.dtype == torch.float32
    m = x.numel()
    assert abs(x.mean().item() - mu) < 5 * s / math.sqrt(m)
    assert abs(x.var().item() - s**2) < 5 * s**2 * math.sqrt(2 / m)


def test_sampling_is_seeded():
    sched = ddpm.Schedule(T=20)
    model = GaussianOracle(0.0, 1.0, sched.alpha_bar())
    a = ddpm.sample(model, 3, (1, 2, 2), sched, torch.Generator().manual_seed(1))
    b = ddpm.sample(model, 3, (1, 2, 2), sched, torch.Generator().manual_seed(1))
    c = ddpm.sample(model, 3, (1, 2, 2), sched, torch.Generator().manual_seed(2))
    assert torch.equal(a, b) and not torch.equal(a, c)
