"""Hermite coefficients of the one-neuron denoiser's loss and the spike's cumulants
(docs/science.md §5-6).

Notation as in docs/science.md. With f_t(h) = σ(h)² - 2 h σ(h) + 2 σ'(h) (σ = σ_t for the
matched activation), the z-integrated loss on the sphere (r = 1) is Δ_t Ψ_t(λ) with

    Ψ_t(λ) = E_ξ f_t(e^{-t} λ + sqrt(Δ_t) ξ)                      (Stein, docs/science.md §5)

- c_k = E_g[Ψ_t(g) He_k(g)] = e^{-k t} E_h[f_t(h) He_k(h)], because Ψ_t is f_t moved by
  the Ornstein-Uhlenbeck semigroup over time t, whose eigenfunctions are He_k (eigenvalue
  e^{-kt}). Stein's lemma turns this into e^{-kt}(E[σ² He_k] - 2k E[σ He_{k-1}]).
- ℓ_k = E[He_k(y)] / k! for the spike marginal y (closed forms below, per latent law).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..core.hermite import DEFAULT_ORDER, he, split_rule
from ..core import ou
from ..core.mcm_model import LATENTS as LAWS
SPIKES = ("cumulant", "covariance")


@dataclass(frozen=True)
class Spike:
    """The direction whose recovery is studied and the law of its marginal y.

    spike="covariance": y ~ N(0, 1 + β_u) (the u direction).
    spike="cumulant": y = a ν + s g with a² = β_v/(1+β_v) (the v direction), ν of ``law``;
    ``correlated`` makes ν = sign(λ), coupled to a covariance spike of strength β_u.
    ``beta_v`` also sets the matched activation σ*_t.
    """

    spike: str = "cumulant"
    law: str = "rademacher"
    beta_u: float = 0.0
    beta_v: float = math.inf
    a: float = 0.1
    df: float = 5.0
    correlated: bool = False

    def __post_init__(self):
        if self.spike not in SPIKES:
            raise ValueError(f"unknown spike {self.spike!r}; allowed: {', '.join(SPIKES)}")
        if self.law not in LAWS:
            raise ValueError(f"unknown latent law {self.law!r}; allowed: {', '.join(LAWS)}")

    @property
    def amplitude(self) -> float:
        """a = sqrt(β_v / (1 + β_v)), 1 for β_v = inf."""
        return 1.0 if math.isinf(self.beta_v) else math.sqrt(self.beta_v / (1 + self.beta_v))


def spike_from_config(spec: dict) -> Spike:
    """A Spike from one entry of config theory.latents (validated: the schema fills defaults)."""
    return Spike(spike=spec["spike"], law=spec["law"], beta_u=float(spec["beta_u"]),
                 beta_v=float(spec["beta_v"]), a=float(spec["a"]), df=float(spec["df"]),
                 correlated=bool(spec["correlated"]))


# ------------------------------------------------------------------ activations and Ψ_t
def activation_values(act, h, t, beta_v):
    """(σ(h), σ'(h)) of activation ``act`` at time t, as float64 numpy arrays."""
    import torch  # lazily: the figure scripts import this module without torch

    from ..core import activations

    sig, dsig = activations.evaluate(act, torch.as_tensor(h, dtype=torch.float64), t, beta_v)
    return sig.numpy(), dsig.numpy()


def link(act: str, h, t: float, beta_v: float = math.inf) -> np.ndarray:
    """f_t(h) = σ(h)² - 2 h σ(h) + 2 σ'(h)."""
    sig, dsig = activation_values(act, h, t, beta_v)
    return sig * sig - 2 * np.asarray(h) * sig + 2 * dsig



def psi(act: str, lam, t: float, beta_v: float = math.inf, r: float = 1.0,
        order: int = DEFAULT_ORDER) -> np.ndarray:
    """E_ξ[r² σ(h)² - 2 h σ(h) + 2 r² σ'(h)], h = e^{-t} λ + sqrt(Δ_t) r ξ (Ψ_t for r = 1)."""
    lam = np.asarray(lam, dtype=np.float64)
    h, w = split_rule(math.exp(-t) * lam, math.sqrt(ou.delta(t)) * r, 0.0, order)
    sig, dsig = activation_values(act, h, t, beta_v)
    return ((r * r * sig * sig - 2 * h * sig + 2 * r * r * dsig) * w).sum(-1)



def hermite_c(act: str, t: float, beta_v: float = math.inf, kmax: int = 8,
              order: int = DEFAULT_ORDER) -> np.ndarray:
    """c_0..c_kmax of Ψ_t: c_k = e^{-kt} E_h[f_t(h) He_k(h)] (split Gauss-Legendre rule)."""
    return _hermite_c(act, float(t), float(beta_v), int(kmax), int(order)).copy()



@lru_cache(maxsize=4096)
def _hermite_c(act, t, beta_v, kmax, order):
    h, w = split_rule(0.0, 1.0, 0.0, order)
    ek = np.exp(-t * np.arange(kmax + 1))
    return ek * ((he(kmax, h) * link(act, h, t, beta_v)) @ w)


# ------------------------------------------------------------------ ℓ_k per latent law
def _student_t_moment(j: int, df: float) -> float:
    """E[y^{2j}] for a Student-t with df scaled to variance 1 (inf if 2j >= df)."""
    if 2 * j >= df:
        return math.inf
    return math.exp(j * math.log(df - 2) + math.lgamma(j + 0.5) + math.lgamma(df / 2 - j)
                    - 0.5 * math.log(math.pi) - math.lgamma(df / 2))



def student_t_scale_rule(df: float, order: int = DEFAULT_ORDER):
    """Nodes W and weights (summing to 1) for E over W ~ χ²_df, Gauss-Legendre in log W.

    The density of v = log W, ∝ exp(v df/2 - e^v/2), is smooth and decays double-
    exponentially to the left and exponentially to the right; with the factor 1/W that the
    variance brings, the left tail decays like e^{v (df/2 - 1)}, cut where it is below
    1e-13. Gauss-Legendre on that interval (at least 256 nodes).
    """
    lo, hi = math.log(df) - 30.0 / (df / 2 - 1) - 5.0, math.log(df) + math.log(80.0)
    x, w = np.polynomial.legendre.leggauss(max(int(order), 256))
    v = lo + (hi - lo) * (x + 1) / 2
    logp = v * df / 2 - np.exp(v) / 2
    p = w * np.exp(logp - logp.max())
    return np.exp(v), p / p.sum()



def latent_l(law: str, kmax: int, a: float = 0.1, df: float = 5.0) -> np.ndarray:
    """ℓ_k = E[He_k(ν)] / k! of a symmetric latent ν with mean 0 and variance 1."""
    fact = np.array([math.factorial(k) for k in range(kmax + 1)], dtype=float)
    if law == "rademacher":
        e = he(kmax, 1.0)
    elif law == "three_point":
        if not 0 < a <= 0.5:
            raise ValueError(f"three_point latent needs 0 < a <= 0.5, got a={a}")
        e = 2 * a * he(kmax, 1 / math.sqrt(2 * a)) + (1 - 2 * a) * he(kmax, 0.0)
    elif law == "student_t":
        if df <= 2:
            raise ValueError(f"student_t latent needs df > 2, got df={df}")
        e = np.zeros(kmax + 1)
        for k in range(0, kmax + 1, 2):
            if k >= df:
                e[k] = math.inf  # the leading moment E y^k diverges, with a positive sign
                continue
            coef = np.polynomial.hermite_e.herme2poly([0] * k + [1])
            e[k] = sum(coef[i] * _student_t_moment(i // 2, df) for i in range(0, k + 1, 2))
    else:
        raise ValueError(f"unknown latent law {law!r}; allowed: {', '.join(LAWS)}")
    e = np.where(np.arange(kmax + 1) % 2 == 1, 0.0, e)  # symmetric laws: odd moments vanish
    return e / fact



def spike_l(spike: Spike, kmax: int) -> np.ndarray:
    """ℓ_k of the spike marginal y against N(0, 1).

    Covariance spike y ~ N(0, 1 + β_u): ℓ_{2j} = β_u^j / (2^j j!), odd ℓ_k = 0.
    Cumulant spike y = a ν + s g (a² + s² = 1): ℓ_k = a^k ℓ_k(ν), by the same
    Ornstein-Uhlenbeck identity as for c_k. Correlated ν = sign(λ) is Rademacher.
    """
    k = np.arange(kmax + 1)
    if spike.spike == "covariance":
        j = k // 2
        out = np.array([spike.beta_u**jj / (2**jj * math.factorial(jj)) for jj in j])
        return np.where(k % 2 == 0, out, 0.0)
    law = "rademacher" if spike.correlated else spike.law
    return spike.amplitude**k * latent_l(law, kmax, spike.a, spike.df)
