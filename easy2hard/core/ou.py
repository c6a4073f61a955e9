"""The Ornstein-Uhlenbeck forward process x_t = e^{-t} x_0 + sqrt(Δ_t) z without torch
(docs/science.md §1): its two scalars, for a float or a numpy array. ``core.diffusion``
adds the torch versions; every stage takes Δ_t from here."""

from __future__ import annotations

import math

import numpy as np


def delta(t):
    """Δ_t = 1 - e^{-2t}, the noise variance at time t (float in, float out; arrays too)."""
    if isinstance(t, np.ndarray):
        return -np.expm1(-2.0 * t)
    return -math.expm1(-2.0 * t)


def decay(t):
    """e^{-t}, the signal scale at time t (float in, float out; arrays too)."""
    if isinstance(t, np.ndarray):
        return np.exp(-t)
    return math.exp(-t)
