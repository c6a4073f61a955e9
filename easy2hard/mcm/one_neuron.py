"""The one-neuron denoiser with a skip connection and its loss (docs/science.md §4.1, §5.2-5.4).

Score model s_w(x) = -x + w σ(<w, x>). Denoising loss at time t, per sample,
ℓ_mc = ‖ sqrt(Δ_t) s_w(x_t) + z ‖²,  x_t = e^{-t} x_0 + sqrt(Δ_t) z.

Integrating z out (Stein's lemma), with r = ‖w‖, λ = <w, x_0>, h = e^{-t} λ + sqrt(Δ_t) r ξ:
ℓ_int = Δ_t E_ξ[ r² σ(h)² - 2 h σ(h) + 2 r² σ'(h) ] + C(x_0),
C(x_0) = Δ_t e^{-2t} ‖x_0‖² + e^{-4t} N being the w-independent part, so E_z ℓ_mc = ℓ_int.

Shapes: w is (..., N) and x0 is (..., B, N) with the same leading dims (one w per run);
t and beta_v broadcast against the leading dims.
"""

from __future__ import annotations

import torch

from ..core import activations
from ..core.diffusion import delta
from ..core.quadrature import gauss_hermite


def _lead(x, like):
    """Give a per-run scalar tensor trailing singleton dims to broadcast against ``like``."""
    x = torch.as_tensor(x, dtype=like.dtype, device=like.device)
    return x.reshape(x.shape + (1,) * (like.dim() - x.dim()))


def score(w, x, act: str, t, beta_v):
    """s_w(x) = -x + w σ(<w, x>), for w (..., N) and x (..., B, N)."""
    h = torch.einsum("...n,...bn->...b", w, x)
    sig, _ = activations.evaluate(act, h, _lead(t, h), _lead(beta_v, h))
    return -x + sig.unsqueeze(-1) * w.unsqueeze(-2)


def loss_mc(w, x0, z, act: str, t, beta_v):
    """Per-sample loss ‖sqrt(Δ_t) s_w(x_t) + z‖² with Monte-Carlo noise z; shape (..., B)."""
    tt = _lead(t, x0)
    xt = torch.exp(-tt) * x0 + torch.sqrt(delta(tt)) * z
    err = torch.sqrt(delta(tt)) * score(w, xt, act, t, beta_v) + z
    return (err * err).sum(-1)


def stein_terms(act, lam, r, t, beta_v, order):
    """Gauss-Hermite averages over ξ that the integrated loss and its gradient need.

    Returns (F, P, Q, G), each shaped like ``lam`` (..., B), with
    F = E[r²σ² - 2hσ + 2r²σ'], P = E[∂F/∂h], Q = E[ξ ∂F/∂h], G = E[∂F/∂r |_h].
    σ'' never appears: Stein's lemma turns E[σ''] into E[ξσ']/(sqrt(Δ) r) and E[ξσ''] into
    E[(ξ²-1)σ']/(sqrt(Δ) r), so non-smooth activations (relu) are handled too.
    """
    xi, om = gauss_hermite(order, lam.dtype, lam.device)
    t = _lead(t, lam).unsqueeze(-1)
    r = _lead(r, lam).unsqueeze(-1)
    sd = torch.sqrt(delta(t))
    h = torch.exp(-t) * lam.unsqueeze(-1) + sd * r * xi
    sig, dsig = activations.evaluate(act, h, t, _lead(beta_v, lam).unsqueeze(-1))
    r2 = r * r
    base = 2 * r2 * sig * dsig - 2 * sig - 2 * h * dsig
    F = (r2 * sig * sig - 2 * h * sig + 2 * r2 * dsig) @ om
    P = base @ om + (2 * r / sd).squeeze(-1) * ((xi * dsig) @ om)
    Q = (xi * base) @ om + (2 * r / sd).squeeze(-1) * (((xi * xi - 1) * dsig) @ om)
    G = (2 * r * sig * sig + 4 * r * dsig) @ om
    return F, P, Q, G


def loss_integrated(w, x0, act: str, t, beta_v, order: int, constant: bool = True):
    """Per-sample loss with z integrated out; with ``constant`` it equals E_z ℓ_mc."""
    lam = torch.einsum("...n,...bn->...b", w, x0)
    r = w.norm(dim=-1)
    F, *_ = stein_terms(act, lam, r, t, beta_v, order)
    dt = _lead(delta(torch.as_tensor(t, dtype=x0.dtype)), lam)
    loss = dt * F
    if constant:
        tt = _lead(t, lam)
        loss = loss + dt * torch.exp(-2 * tt) * (x0 * x0).sum(-1) + torch.exp(-4 * tt) * x0.shape[-1]
    return loss


def grad_integrated(w, x0, act: str, t, beta_v, order: int):
    """Gradient in w of the batch-mean integrated loss; shape like w.

    ∇ℓ = Δ_t [ e^{-t} E[∂F/∂h] x_0 + (sqrt(Δ_t) E[ξ ∂F/∂h] + E[∂F/∂r]) w / r ].
    """
    lam = torch.einsum("...n,...bn->...b", w, x0)
    r = w.norm(dim=-1)
    _, P, Q, G = stein_terms(act, lam, r, t, beta_v, order)
    tt = _lead(t, r)
    dt = delta(tt)
    along_x = torch.einsum("...b,...bn->...n", P, x0) / x0.shape[-2]
    along_w = (torch.sqrt(dt) * Q.mean(-1) + G.mean(-1)) / r
    return dt.unsqueeze(-1) * (torch.exp(-tt).unsqueeze(-1) * along_x + along_w.unsqueeze(-1) * w)


def grad_mc(w, x0, z, act: str, t, beta_v):
    """Gradient in w of the batch-mean Monte-Carlo loss; shape like w.

    With e = sqrt(Δ) s_w(x_t) + z: ∇ℓ = 2 sqrt(Δ) [σ(h) e + <w, e> σ'(h) x_t].
    """
    tt = _lead(t, x0)
    sd = torch.sqrt(delta(tt))
    xt = torch.exp(-tt) * x0 + sd * z
    h = torch.einsum("...n,...bn->...b", w, xt)
    sig, dsig = activations.evaluate(act, h, _lead(t, h), _lead(beta_v, h))
    err = sd * (-xt + sig.unsqueeze(-1) * w.unsqueeze(-2)) + z
    we = torch.einsum("...n,...bn->...b", w, err)
    g = sig.unsqueeze(-1) * err + (we * dsig).unsqueeze(-1) * xt
    return 2 * torch.sqrt(delta(_lead(t, w))) * g.mean(-2)


class SteinSGD:
    """P and κ = (sqrt(Δ) Q̄ + Ḡ) / r of ``stein_terms`` for one group of runs that share an
    activation, at any norm r, with the group's constants computed once (the plain-SGD step
    of the lockstep engine, docs/science.md §5.7). Reductions are row-wise (not matmul), so a
    run's rounding does not depend on how many runs share the group."""

    def __init__(self, act: str, t: torch.Tensor, beta_v: torch.Tensor, order: int):
        xi, om = gauss_hermite(order, t.dtype, t.device)
        self.xi, self.xi2m1, self.om = xi, xi * xi - 1, om
        self.t, self.beta_v = t.view(-1, 1, 1), beta_v.view(-1, 1, 1)
        self.decay = torch.exp(-self.t)
        self.sd = torch.sqrt(delta(self.t))
        if act == "sigma_star":
            self.sigma = activations.SigmaStar(self.t, self.beta_v)
        else:
            self.sigma = lambda h: activations.evaluate(act, h)

    def __call__(self, lam: torch.Tensor, r: torch.Tensor):
        """lam (Rg, B), r (Rg,) -> P (Rg, B) and κ (Rg,)."""
        r3 = r.view(-1, 1, 1)
        sdr = self.sd * r3
        h = torch.addcmul(self.decay * lam.unsqueeze(-1), sdr, self.xi)
        sig, dsig = self.sigma(h)
        r2 = r3 * r3
        base = 2 * (r2 * sig * dsig - sig - h * dsig)
        k = 2 * r3 / self.sd
        P = ((base + k * self.xi * dsig) * self.om).sum(-1)
        Q = ((self.xi * base + k * self.xi2m1 * dsig) * self.om).sum(-1)
        G = (2 * r3 * (sig * sig + 2 * dsig) * self.om).sum(-1)
        kappa = (self.sd.view(-1) * Q.mean(1) + G.mean(1)) / r
        return P, kappa
