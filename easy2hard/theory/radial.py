"""The radial term of the one-neuron denoiser's loss at zero overlap (docs/science.md §5-6).

L_0(r) = Δ_t E_g[r² σ(rg)² - 2 r g σ(rg) + 2 r² σ'(rg)], the loss at zero overlap against
the norm r. Stein's lemma (E[h σ(h)] = r² E[σ'(h)] for h ~ N(0, r²)) reduces it to
Δ_t r² E_g[σ(rg)²] >= 0 = L_0(0): in this model w = 0 attracts the norm at zero overlap
for every activation; activations differ in how strongly (L_0 ~ r^{2+2p} with p the order
of the first non-zero derivative of σ at 0) and in how large the signal term is.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..core import ou
from ..core.hermite import DEFAULT_ORDER, split_rule
from .coefficients import activation_values


def radial_loss(act: str, r, t: float, beta_v: float = math.inf,
                order: int = DEFAULT_ORDER) -> np.ndarray:
    """L_0(r) = Δ_t E_g[r² σ(rg)² - 2 r g σ(rg) + 2 r² σ'(rg)] (zero overlap, N(0, I) bulk)."""
    r = np.asarray(r, dtype=np.float64)
    h, w = split_rule(0.0, r, 0.0, order)
    sig, dsig = activation_values(act, h, t, beta_v)
    r2 = (r * r)[..., None]
    return ou.delta(t) * ((r2 * sig * sig - 2 * h * sig + 2 * r2 * dsig) * w).sum(-1)



def zero_attracts(act: str, t: float, beta_v: float = math.inf, r_probe: float = 0.05,
                  order: int = DEFAULT_ORDER) -> bool:
    """Whether L_0 increases near r = 0: L_0(r) > L_0(0) on a grid of (0, r_probe]."""
    r = np.linspace(0.0, r_probe, 11)
    L0 = radial_loss(act, r, t, beta_v, order)
    return bool(np.all(np.diff(L0) > 0))



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



def r_grid(spec: dict) -> np.ndarray:
    """The log-spaced norm grid of config ``theory.r`` ({min, max, points})."""
    lo, hi, n = float(spec["min"]), float(spec["max"]), int(spec["points"])
    if not 0 < lo < hi:
        raise ValueError(f"config key 'theory.r': need 0 < min < max, got min={lo}, max={hi}")
    return np.geomspace(lo, hi, n)
