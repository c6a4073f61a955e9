"""Theory of the one-neuron denoiser: the diffusion information exponent k* (docs/science.md §5-6).

Notation as in docs/science.md. With f_t(h) = σ(h)² - 2 h σ(h) + 2 σ'(h) (σ = σ_t for the
matched activation), the z-integrated loss on the sphere (r = 1) is Δ_t Ψ_t(λ) with

    Ψ_t(λ) = E_ξ f_t(e^{-t} λ + sqrt(Δ_t) ξ)                      (Stein, docs/science.md §5)

- c_k = E_g[Ψ_t(g) He_k(g)] = e^{-k t} E_h[f_t(h) He_k(h)], because Ψ_t is f_t moved by
  the Ornstein-Uhlenbeck semigroup over time t, whose eigenfunctions are He_k (eigenvalue
  e^{-kt}). Stein's lemma turns this into e^{-kt}(E[σ² He_k] - 2k E[σ He_{k-1}]).
- ℓ_k = E[He_k(y)] / k! for the spike marginal y (closed forms below, per latent law).
- L(m) = Δ_t Σ_k c_k ℓ_k m^k, since E_g He_k(m y + sqrt(1 - m²) g) = m^k He_k(y).
- k* = the smallest k >= 1 with c_k ℓ_k != 0 (tolerance K_STAR_RTOL); learning needs
  c_{k*} ℓ_{k*} < 0. Predicted sample complexity n ~ N^exponent (times ln N for k* = 2).
- L_0(r) = Δ_t E_g[r² σ(rg)² - 2 r g σ(rg) + 2 r² σ'(rg)], the loss at zero overlap against
  the norm r. Stein's lemma (E[h σ(h)] = r² E[σ'(h)] for h ~ N(0, r²)) reduces it to
  Δ_t r² E_g[σ(rg)²] >= 0 = L_0(0): in this model w = 0 attracts the norm at zero overlap
  for every activation; activations differ in how strongly (L_0 ~ r^{2+2p} with p the order
  of the first non-zero derivative of σ at 0) and in how large the signal term is.

Correlated latents (ν = sign(λ)). The marginal of y_v = <v, x> is still that of a
Rademacher ν (whitened: ℓ_1 = ℓ_2 = ℓ_3 = 0), but the pair (y_u, y_v) has
E[y_u y_v] = ρ = sqrt(β_u) a sqrt(2/π). Expanding the loss in both overlaps (m_u, m_v),
the order-2 term is c_2 mᵀ T m with T = [[β_u/2, ρ/2], [ρ/2, 0]]: a second-order term that
involves m_v. pSGD from a random start grows along the eigenvector of c_2 T with the most
negative eigenvalue c_2 τ, so the v direction is found at the rate of a k* = 2 spike
(n ~ N log N), with overlap share |e_v| of that eigenvector at order 2. We report
k* = 2, product = c_2 τ, v_share = |e_v| for this case (``coupling`` = "covariance").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from ..core.hermite import DEFAULT_ORDER, he, split_rule
from ..core import ou

LAWS = ("rademacher", "three_point", "student_t")
SPIKES = ("cumulant", "covariance")
K_STAR_RTOL = 1e-8  # c_k counts as non-zero if |c_k| > K_STAR_RTOL * max_j |c_j|
L_ATOL = 1e-12  # ℓ_k counts as non-zero if |ℓ_k| > L_ATOL (closed forms are exact to ~1e-16)


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


# ------------------------------------------------------------------ activations and Ψ_t
def delta(t):
    """Δ_t = 1 - e^{-2t} (as easy2hard.core.diffusion.delta, without importing torch)."""
    return ou.delta(np.asarray(t, dtype=np.float64))


def _act(act, h, t, beta_v):
    import torch  # lazily: the figure scripts import this module without torch

    from ..core import activations

    sig, dsig = activations.evaluate(act, torch.as_tensor(h, dtype=torch.float64), t, beta_v)
    return sig.numpy(), dsig.numpy()


def link(act: str, h, t: float, beta_v: float = math.inf) -> np.ndarray:
    """f_t(h) = σ(h)² - 2 h σ(h) + 2 σ'(h)."""
    sig, dsig = _act(act, h, t, beta_v)
    return sig * sig - 2 * np.asarray(h) * sig + 2 * dsig


def psi(act: str, lam, t: float, beta_v: float = math.inf, r: float = 1.0,
        order: int = DEFAULT_ORDER) -> np.ndarray:
    """E_ξ[r² σ(h)² - 2 h σ(h) + 2 r² σ'(h)], h = e^{-t} λ + sqrt(Δ_t) r ξ (Ψ_t for r = 1)."""
    lam = np.asarray(lam, dtype=np.float64)
    h, w = split_rule(math.exp(-t) * lam, math.sqrt(delta(t)) * r, 0.0, order)
    sig, dsig = _act(act, h, t, beta_v)
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


# ------------------------------------------------------------------ k* and its consequences
def predicted_exponent(k_star) -> tuple[float, bool]:
    """(exponent, log_factor): n ~ N^exponent (ln N)^log_factor; BAGJ 2021."""
    if k_star is None or pd.isna(k_star):
        return math.nan, False
    k_star = int(k_star)
    if k_star == 1:
        return 1.0, False
    if k_star == 2:
        return 1.0, True
    return float(k_star - 1), False


def information_exponent(c: np.ndarray, l: np.ndarray, rtol: float = K_STAR_RTOL):
    """(k*, c_{k*} ℓ_{k*}): the smallest k >= 1 with c_k ℓ_k != 0, or (None, nan)."""
    scale = np.max(np.abs(c[np.isfinite(c)])) if np.isfinite(c).any() else 0.0
    for k in range(1, len(c)):
        if abs(c[k]) > rtol * scale and abs(l[k]) > L_ATOL and not np.isnan(l[k]):
            return k, float(c[k] * l[k])
    return None, math.nan


def correlated_coupling(c2: float, beta_u: float, amplitude: float = 1.0):
    """(product c_2 τ, v_share |e_v|) of the order-2 term c_2 mᵀ T m for ν = sign(λ)."""
    rho = math.sqrt(beta_u) * amplitude * math.sqrt(2 / math.pi)
    evals, evecs = np.linalg.eigh(np.array([[beta_u / 2, rho / 2], [rho / 2, 0.0]]))
    i = int(np.argmin(c2 * evals))
    return float(c2 * evals[i]), float(abs(evecs[1, i]))


def exponent_row(act: str, t: float, spike: Spike, kmax: int = 8,
                 order: int = DEFAULT_ORDER, c=None) -> dict:
    """k*, its sign, the predicted exponent and the radial verdict for one setting."""
    c = hermite_c(act, t, spike.beta_v, kmax, order) if c is None else c
    coupling = "none"
    v_share = math.nan
    big = np.max(np.abs(c[np.isfinite(c)]))
    if spike.spike == "cumulant" and spike.correlated and spike.beta_u > 0 \
            and abs(c[2]) > K_STAR_RTOL * big:
        k_star, coupling = 2, "covariance"
        product, v_share = correlated_coupling(c[2], spike.beta_u, spike.amplitude)
    else:
        k_star, product = information_exponent(c, spike_l(spike, kmax))
    exponent, log_factor = predicted_exponent(k_star)
    sign = 0 if k_star is None else int(np.sign(product))
    return {"activation": act, "t": float(t), "spike": spike.spike, "law": spike.law,
            "beta_u": float(spike.beta_u), "beta_v": float(spike.beta_v),
            "correlated": bool(spike.correlated),
            "k_star": k_star, "product": product, "sign": sign, "learns": sign < 0,
            "exponent": exponent, "log_factor": log_factor, "coupling": coupling,
            "v_share": v_share,
            "zero_attracts": zero_attracts(act, t, spike.beta_v, order=order)}


# ------------------------------------------------------------------ landscapes
def population_loss(m, c: np.ndarray, l: np.ndarray, t: float) -> np.ndarray:
    """L(m) = Δ_t Σ_k c_k ℓ_k m^k on the sphere (k = 0 included)."""
    m = np.asarray(m, dtype=np.float64)
    powers = m[..., None] ** np.arange(len(c))
    return delta(t) * (powers @ (np.asarray(c) * np.asarray(l)))


def exact_population_loss(act: str, m, t: float, spike: Spike,
                          order: int = DEFAULT_ORDER) -> np.ndarray:
    """L(m) without the Hermite series, or nan where no 1-D route exists (Student-t).

    With λ = m y + sqrt(1 - m²) g, h = e^{-t} λ + sqrt(Δ_t) ξ is Gaussian given y:
    covariance spike h ~ N(0, 1 + e^{-2t} m² β_u); cumulant spike y = a ν + s g',
    h | ν ~ N(e^{-t} m a ν, 1 - e^{-2t} m² a²), summed over the discrete law of ν.
    """
    m = np.asarray(m, dtype=np.float64)
    e2 = math.exp(-2 * t)
    if spike.spike == "covariance":
        points, probs, var = [0.0], [1.0], 1 + e2 * m * m * spike.beta_u
    else:
        law = "rademacher" if spike.correlated else spike.law
        if law == "rademacher":
            points, probs = [-1.0, 1.0], [0.5, 0.5]
        elif law == "three_point":
            z = 1 / math.sqrt(2 * spike.a)
            points, probs = [-z, 0.0, z], [spike.a, 1 - 2 * spike.a, spike.a]
        else:  # Student-t: a Gaussian scale mixture, y | W ~ N(0, (df-2)/W), W ~ χ²_df
            wq, pq = student_t_scale_rule(spike.df, order)
            out = np.zeros(m.shape)
            for wi, pi in zip(wq, pq):
                var = 1 + e2 * m * m * spike.amplitude**2 * ((spike.df - 2) / wi - 1)
                h, w = split_rule(0.0, np.sqrt(var), 0.0, order)
                out += pi * (link(act, h, t, spike.beta_v) * w).sum(-1)
            return delta(t) * out
        var = 1 - e2 * m * m * spike.amplitude**2
    out = np.zeros(m.shape)
    for nu, p in zip(points, probs):
        h, w = split_rule(math.exp(-t) * m * spike.amplitude * nu, np.sqrt(var), 0.0, order)
        out += p * (link(act, h, t, spike.beta_v) * w).sum(-1)
    return delta(t) * out


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


def landscape_table(acts, ts, spikes: dict, m, kmax: int = 8, order: int = DEFAULT_ORDER):
    """L(m) per activation, t and spike: the kmax-truncated series and the exact 1-D route.

    ``L`` is the exact value where available (method "exact"), else the series.
    """
    rows = []
    m = np.asarray(m, dtype=np.float64)
    for act in acts:
        for t in ts:
            for name, spike in spikes.items():
                if spike.correlated:  # the landscape along v alone misses the coupling to u
                    continue
                c = hermite_c(act, t, spike.beta_v, kmax, order)
                series = population_loss(m, c, spike_l(spike, kmax), t)
                exact = exact_population_loss(act, m, t, spike, order)
                has_exact = bool(np.isfinite(exact).all())
                best = exact if has_exact else series
                rows += [{"activation": act, "t": float(t), "latent": name, "spike": spike.spike,
                          "m": float(mi), "L_series": float(si), "L_exact": float(ei),
                          "L": float(bi), "L_shift": float(bi - best[0]),
                          "method": "exact" if has_exact else "series"}
                         for mi, si, ei, bi in zip(m, series, exact, best)]
    return pd.DataFrame(rows)


def spike_from_config(spec: dict) -> Spike:
    """A Spike from one entry of config theory.latents (validated: the schema fills defaults)."""
    return Spike(spike=spec["spike"], law=spec["law"], beta_u=float(spec["beta_u"]),
                 beta_v=float(spec["beta_v"]), a=float(spec["a"]), df=float(spec["df"]),
                 correlated=bool(spec["correlated"]))


def sweep_settings(name: str, spec: dict):
    """(activation, t, Spike) for every spike of every setting of one MCM sweep spec.

    A setting carries a covariance spike if β_u > 0 and a cumulant spike if β_v > 0
    (both rows are given when both are present; the figure picks the overlap it draws).
    """
    out = []
    for act in spec["activation"]:
        for t in spec["t"]:
            for law in spec["latent"]:
                for corr in spec["correlated"]:
                    for bu in spec["beta_u"]:
                        for bv in spec["beta_v"]:
                            common = dict(law=law, beta_u=float(bu), beta_v=float(bv),
                                          a=float(spec["latent_a"]),
                                          df=float(spec["student_df"]),
                                          correlated=bool(corr))
                            if bu > 0:
                                out.append((act, float(t), Spike(spike="covariance", **common)))
                            if bv > 0:
                                out.append((act, float(t), Spike(spike="cumulant", **common)))
    return out


def sweep_exponents(sweeps: dict, kmax: int = 8, order: int = DEFAULT_ORDER) -> pd.DataFrame:
    """exponents rows for every MCM sweep setting, with columns ``sweep`` and ``latent``."""
    rows = []
    for name, spec in sweeps.items():
        for act, t, spike in sweep_settings(name, spec):
            latent = "covariance" if spike.spike == "covariance" else spike.law
            rows.append({"sweep": name, "latent": latent,
                         **exponent_row(act, t, spike, kmax, order)})
    return pd.DataFrame(rows)


def radial_loss(act: str, r, t: float, beta_v: float = math.inf,
                order: int = DEFAULT_ORDER) -> np.ndarray:
    """L_0(r) = Δ_t E_g[r² σ(rg)² - 2 r g σ(rg) + 2 r² σ'(rg)] (zero overlap, N(0, I) bulk)."""
    r = np.asarray(r, dtype=np.float64)
    h, w = split_rule(0.0, r, 0.0, order)
    sig, dsig = _act(act, h, t, beta_v)
    r2 = (r * r)[..., None]
    return delta(t) * ((r2 * sig * sig - 2 * h * sig + 2 * r2 * dsig) * w).sum(-1)


def zero_attracts(act: str, t: float, beta_v: float = math.inf, r_probe: float = 0.05,
                  order: int = DEFAULT_ORDER) -> bool:
    """Whether L_0 increases near r = 0: L_0(r) > L_0(0) on a grid of (0, r_probe]."""
    r = np.linspace(0.0, r_probe, 11)
    L0 = radial_loss(act, r, t, beta_v, order)
    return bool(np.all(np.diff(L0) > 0))


# ------------------------------------------------------------------ tables
def hermite_table(acts, ts, spikes: dict, kmax: int = 8, order: int = DEFAULT_ORDER):
    """(hermite, exponents) DataFrames for activations x t x named spikes."""
    rows, exps = [], []
    for act in acts:
        for t in ts:
            for name, spike in spikes.items():
                c = hermite_c(act, t, spike.beta_v, kmax, order)
                l = spike_l(spike, kmax)
                with np.errstate(invalid="ignore"):
                    prod = np.where(c == 0, 0.0, c * l)
                for k in range(kmax + 1):
                    rows.append({"activation": act, "t": float(t), "latent": name,
                                 "spike": spike.spike, "k": k, "c_k": c[k], "l_k": l[k],
                                 "product": prod[k]})
                exps.append({"latent": name, **exponent_row(act, t, spike, kmax, order, c)})
    exps = pd.DataFrame(exps)
    exps["k_star"] = exps["k_star"].astype("Int64")
    return pd.DataFrame(rows), exps


def radial_table(acts, ts, r, beta_v: float = math.inf, order: int = DEFAULT_ORDER):
    """L_0(r), L_0(r) - L_0(0) and d log(L_0 - L_0(0)) / d log r per activation, t and r."""
    rows = []
    r = np.asarray(r, dtype=np.float64)
    for act in acts:
        for t in ts:
            L0 = radial_loss(act, r, t, beta_v, order)
            base = float(radial_loss(act, 0.0, t, beta_v, order))
            attracts = zero_attracts(act, t, beta_v, order=order)
            with np.errstate(divide="ignore", invalid="ignore"):
                slope = np.gradient(np.log(np.abs(L0 - base)), np.log(r)) if len(r) > 1 \
                    else np.full(len(r), np.nan)
            rows += [{"activation": act, "t": float(t), "r": float(ri), "L0": float(v),
                      "L0_shift": float(v - base), "loglog_slope": float(sl),
                      "zero_attracts": attracts}
                     for ri, v, sl in zip(r, L0, slope)]
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ for the MCM figures
def r_grid(spec: dict) -> np.ndarray:
    """The log-spaced norm grid of config ``theory.r`` ({min, max, points})."""
    lo, hi, n = float(spec["min"]), float(spec["max"]), int(spec["points"])
    if not 0 < lo < hi:
        raise ValueError(f"config key 'theory.r': need 0 < min < max, got min={lo}, max={hi}")
    return np.geomspace(lo, hi, n)
