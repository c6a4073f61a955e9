"""Full-batch gradient descent of R runs in lockstep (docs/science.md §11.4).

The weights carry a leading run dimension and the loss of run r depends on run r's weights
and data only, so the gradient of the summed loss is every run's own gradient: one batched
step advances R independent trainings. There is no randomness during training (the DDPM
loss is integrated over ε in closed form), so a run's trajectory is a function of its seed
and settings alone, whatever runs it trains with.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

import torch

from . import model

log = logging.getLogger(__name__)


def gradient_descent(W0: torch.Tensor, loss: Callable[[torch.Tensor], torch.Tensor], lr: float,
                     steps: int, snapshots: list[int], name: str = "") -> dict:
    """W ← W − lr ∇L(W) for ``steps`` steps; returns {step: (W copy, per-run loss)} at ``snapshots``.

    ``loss(W)`` returns the (R,) per-run losses. Progress goes to the log about every 10 s.
    Once every run's loss is non-finite (diverged) the remaining snapshots are NaN and
    descent stops (a non-finite run stays non-finite).
    """
    W = W0.clone().requires_grad_(True)
    out, wanted, last = {}, set(snapshots), time.monotonic()
    for step in range(steps + 1):
        value = loss(W)
        if step in wanted:
            out[step] = (W.detach().clone(), value.detach().clone())
        if step == steps:
            break
        if not torch.isfinite(value).any():  # every run diverged: the rest stays non-finite
            log.info("%s every run diverged at step %d", name, step)
            out.update({k: (torch.full_like(W, float("nan")), torch.full_like(value, float("nan")))
                        for k in wanted if k > step})
            break
        (grad,) = torch.autograd.grad(value.sum(), W)
        with torch.no_grad():
            W -= lr * grad
        if time.monotonic() - last > 10:
            last = time.monotonic()
            log.info("%s step %d/%d, mean loss %.6g", name, step, steps, value.mean().item())
    return out


def fit(objective: str, X: torch.Tensor, y: torch.Tensor, W0: torch.Tensor, settings: dict,
        snapshots: list[int], name: str = "", scale=None, dim: int | None = None) -> dict:
    """Train R runs on data X (R, n, P, d), labels y (R, n) from W0 (R, 2, m, d).

    ``diffusion``: the closed-form DDPM loss at time ``settings['t']``, filters W0[:, 0].
    ``classification``: the logistic loss, both filter groups. ``settings`` holds lr, steps.
    ``scale``: the networks' width prefactor per run (default: m^{-1/2} and m^{-1});
    ``dim``: the true patch dimension when X and W0 are coordinates in a subspace.
    """
    if objective == "diffusion":
        t = settings["t"]
        return gradient_descent(W0[:, 0], lambda W: model.ddpm_loss(W, X, t, scale, dim), settings["lr"],
                                settings["steps"], snapshots, name)
    if objective == "classification":
        return gradient_descent(W0, lambda W: model.logistic_loss(W, X, y, scale), settings["lr"],
                                settings["steps"], snapshots, name)
    raise ValueError(f"unknown objective {objective!r}; allowed: 'diffusion', 'classification'")
