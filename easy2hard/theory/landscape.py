"""The population loss L(m) of the one-neuron denoiser on the sphere (docs/science.md §5-6).

L(m) = Δ_t Σ_k c_k ℓ_k m^k, since E_g He_k(m y + sqrt(1 - m²) g) = m^k He_k(y); the exact
1-D route integrates the loss given the latent without the Hermite series.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core import ou
from ..core.hermite import DEFAULT_ORDER, split_rule
from .coefficients import Spike, hermite_c, link, spike_l, student_t_scale_rule


def population_loss(m, c: np.ndarray, l: np.ndarray, t: float) -> np.ndarray:
    """L(m) = Δ_t Σ_k c_k ℓ_k m^k on the sphere (k = 0 included)."""
    m = np.asarray(m, dtype=np.float64)
    powers = m[..., None] ** np.arange(len(c))
    return ou.delta(t) * (powers @ (np.asarray(c) * np.asarray(l)))



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
            return ou.delta(t) * out
        var = 1 - e2 * m * m * spike.amplitude**2
    out = np.zeros(m.shape)
    for nu, p in zip(points, probs):
        h, w = split_rule(math.exp(-t) * m * spike.amplitude * nu, np.sqrt(var), 0.0, order)
        out += p * (link(act, h, t, spike.beta_v) * w).sum(-1)
    return ou.delta(t) * out



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
