"""Sampling with learned random-features scores (docs/science.md §13.6).

A score network is trained (exact ridge) at every time of a geometric grid
t_min = t_0 < ... < t_K = t_max, with the same W and data. Ancestral sampling runs the OU
analogue of DDPM on that grid: at t_k the learned score gives the Tweedie denoiser
x̂_0 = (x + Δ_k s(x)) e^{t_k}, and x_{t_{k-1}} is drawn from the OU bridge between x̂_0 and
x_{t_k}. The last step returns x̂_0 at t_min.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import torch

from . import empirical, moments, problem, ridge
from ..core.streams import generator
from ..core import ou


def time_grid(t_min: float, t_max: float, steps: int) -> np.ndarray:
    return np.geomspace(t_min, t_max, steps)


def solve(prob: problem.Problem, n: int, p: int, m: float, order: int, nodes: int):
    """The ridge spectral solution at the problem's time t for n points, p features, m."""
    W = prob.W[:p]
    if math.isinf(m):
        acc = moments.ClusterMoments(W, prob.activation, prob.t, order, nodes)
        acc.add(prob.a[:n])
        return ridge.from_moments(*acc.moments())
    x, z = problem.noisy(prob, n, int(m))
    return ridge.from_samples(problem.features(x, W, prob.activation), z)


def _bridge(x, x0, t_prev, t):
    """Mean and variance of x_{t_prev} given x_t = x and x_0 = x0 (OU, t_prev < t)."""
    ab, ab_prev = math.exp(-2 * t), math.exp(-2 * t_prev)
    alpha = math.exp(-(t - t_prev))
    beta = 1 - alpha**2
    mean = (math.sqrt(ab_prev) * beta * x0 + alpha * (1 - ab_prev) * x) / (1 - ab)
    return mean, beta * (1 - ab_prev) / (1 - ab)


def sample(prob: problem.Problem, n: int, p: int, m: float, lam: float, times: np.ndarray,
           count: int, seed: int, order: int, nodes: int) -> torch.Tensor:
    """(count, d) samples from the model with n points, p features, m noise samples, ridge λ."""
    gen = generator(seed, "random_features", "sampling", prob.d)
    x = torch.randn(count, prob.d, generator=gen, dtype=problem.DTYPE)
    lam_t = torch.tensor([lam], dtype=problem.DTYPE)
    for k in range(len(times) - 1, -1, -1):
        t = float(times[k])
        sp = solve(dataclasses.replace(prob, t=t), n, p, m, order, nodes)
        eps = sp.predict(problem.features(x, prob.W[:p], prob.activation), lam_t)[0].T
        x0 = (x + math.sqrt(ou.delta(t)) * eps) * math.exp(t)
        if k == 0:
            return x0
        mean, var = _bridge(x, x0, float(times[k - 1]), t)
        x = mean + math.sqrt(var) * torch.randn(x.shape, generator=gen, dtype=x.dtype)
    raise ValueError("empty time grid")


def nearest_neighbours(models: dict, d: int, m: float, lam: float, count: int,
                       times: np.ndarray, seed: int, activation: str, order: int,
                       nodes: int) -> pd.DataFrame:
    """For each model name -> (ψ_n, ψ_p): ``count`` samples and as many fresh target samples
    x ~ N(0, I_d), each with its distance to the nearest of the model's n training points
    (divided by sqrt d). One row per point; ``source`` is 'model' or 'target'."""
    frames = []
    for name, (psi_n, psi_p) in models.items():
        n, p = max(1, round(psi_n * d)), max(1, round(psi_p * d))
        prob = problem.draw(seed, d, n, p, 1 if math.isinf(m) else int(m), 1, times[0],
                            activation, tag=name)
        x = sample(prob, n, p, m, lam, times, count, seed, order, nodes)
        fresh = torch.randn(count, d, dtype=problem.DTYPE,
                            generator=generator(seed, "random_features", "fresh", name))
        for source, pts in (("model", x), ("target", fresh)):
            frames.append(pd.DataFrame({
                "model": name, "source": source, "psi_n": psi_n, "psi_p": psi_p, "n": n, "p": p,
                "d": d, "m": float(m), "lambda": lam,
                "nn_distance": (empirical.nearest_distance(pts, prob.a[:n]) / math.sqrt(d)).numpy(),
                "norm": (pts.norm(dim=1) / math.sqrt(d)).numpy()}))
    return pd.concat(frames, ignore_index=True)
