"""The diffusion information exponent k* of the one-neuron denoiser (docs/science.md §5-6).

With c_k the Hermite coefficients of the loss and ℓ_k those of the spike marginal
(``theory.coefficients``):

- k* = the smallest k >= 1 with c_k ℓ_k != 0 (tolerance K_STAR_RTOL); learning needs
  c_{k*} ℓ_{k*} < 0. Predicted sample complexity n ~ N^exponent (times ln N for k* = 2).

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

import numpy as np
import pandas as pd

from ..core.hermite import DEFAULT_ORDER
from .coefficients import Spike, hermite_c, spike_l
from .radial import zero_attracts

K_STAR_RTOL = 1e-8  # c_k counts as non-zero if |c_k| > K_STAR_RTOL * max_j |c_j|
L_ATOL = 1e-12  # ℓ_k counts as non-zero if |ℓ_k| > L_ATOL (closed forms are exact to ~1e-16)


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
