"""Real training of linear denoisers on the DDPM objective, R runs in lockstep
(docs/science.md §10.6): the check of the closed forms.

A run is (N, seed): its training set (Target.training_set), its own random streams for the
batch indices and the noise, and one matrix W_k per DDPM step, started at 0. Each optimiser
step draws, for every step k, ``batch`` training points (with replacement) and noises, and
minimises Σ_k [ mean_b ||W_k (a_k (x - m̂) + s_k ε) - ε||² + λ ||W_k||²_F ] (the DDPM loss
with k stratified over all T steps; its expectation is Σ_k L_k of denoiser.py). The losses
of the runs are summed; Adam and SGD act elementwise, so the runs train independently.
With SGD at learning rate η_n the mean of W follows gradient descent on L_k, whose
continuous limit is the flow of §10.3 at time τ = Σ η_n.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import torch

from ..core import streams
from ..core.lockstep_tables import log_steps
from ..core.ddpm import Schedule
from . import closed_form, denoiser, sampling, sweep
from .targets import Target

log = logging.getLogger(__name__)
OPTIMIZERS = ("adam", "sgd")


def exact_test_error(W: torch.Tensor, mhat: torch.Tensor, target: Target, t: denoiser.Terms):
    """(R,) test error per dimension, averaged over k, of denoisers W (R, T, d, d), exact in
    the population moments: a_k² [tr(W Σ Wᵀ) + ||W (μ - m̂)||²] + ||s_k W - I||²."""
    pop = target.population
    W = W.double()
    cov = torch.as_tensor(pop.cov, dtype=W.dtype, device=W.device)
    off = torch.as_tensor(pop.mean, dtype=W.dtype, device=W.device) - mhat.double()
    a = torch.as_tensor(t.a, dtype=W.dtype, device=W.device)[None, :]
    s = torch.as_tensor(t.s, dtype=W.dtype, device=W.device)[None, :, None, None]
    eye = torch.eye(pop.d, dtype=W.dtype, device=W.device)
    quad = torch.einsum("rkij,jl,rkil->rk", W, cov, W) + (W @ off[:, None, :, None]).square().sum((-1, -2))
    err = a**2 * quad + (s * W - eye).square().sum((-1, -2))
    return (err.mean(1) / pop.d).cpu().numpy()


def _draws(runs, target: Target, T: int, batch: int, tag: str):
    gens = [streams.generator(seed, "linear", tag, target.name, target.d, N) for N, seed in runs]
    if tag == "index":
        return [lambda c, g=g: torch.rand(c, T, batch, generator=g) for g in gens]
    return [lambda c, g=g: torch.randn(c, T, batch, target.d, generator=g) for g in gens]


def train(target: Target, runs: list[tuple[int, int]], t: denoiser.Terms, *, ridge: float,
          optimizer: str, lr: float, lr_final: float, steps: int, batch: int,
          log_points: int, sampler: str, chunk: int = 64, device=None) -> pd.DataFrame:
    """Train runs (N, seed) in lockstep; one row per run and logged step with the trained
    and the closed-form KL and test error (closed form at τ = ∞ for Adam, at τ = Σ η for SGD)."""
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; allowed: {', '.join(OPTIMIZERS)}")
    device = torch.device(device or "cpu")
    R, d, T = len(runs), target.d, t.T
    data = [target.training_set(N, seed) for N, seed in runs]
    fits = [denoiser.fit(x) for x in data]
    Nr = torch.tensor([N for N, _ in runs], device=device)
    X = torch.zeros(R, int(Nr.max()), d, device=device)
    for r, x in enumerate(data):
        X[r, :len(x)] = torch.as_tensor(x - fits[r].mean, dtype=torch.float32)
    mhat = torch.as_tensor(np.stack([f.mean for f in fits]), device=device)
    a = torch.as_tensor(t.a, dtype=torch.float32, device=device)[None, :, None, None]
    s = torch.as_tensor(t.s, dtype=torch.float32, device=device)[None, :, None, None]
    W = torch.zeros(R, T, d, d, device=device, requires_grad=True)
    opt = (torch.optim.Adam if optimizer == "adam" else torch.optim.SGD)([W], lr=lr)
    rates = lr * (lr_final / lr) ** (np.arange(steps) / max(steps - 1, 1))
    logged = set(log_steps(steps, log_points)) - {0}
    rows, tau, step = [], 0.0, 0
    rows.append(_record(W, mhat, fits, target, t, runs, 0, 0.0, optimizer, ridge, sampler))
    index, noise = (streams.chunked(_draws(runs, target, T, batch, tag), steps, chunk, device)
                    for tag in ("index", "noise"))
    for u_chunk, eps_chunk in zip(index, noise):
        for u, eps in zip(u_chunk, eps_chunk):
            idx = (u * Nr[:, None, None]).long().clamp_max_(X.shape[1] - 1)
            x0 = X[torch.arange(R, device=device)[:, None, None], idx]  # (R, T, B, d) centred
            pred = (a * x0 + s * eps) @ W.transpose(-1, -2)
            loss = (pred - eps).square().sum(-1).mean(-1).sum() + ridge * W.square().sum()
            for group in opt.param_groups:
                group["lr"] = float(rates[step])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tau, step = tau + rates[step], step + 1
            if step in logged:
                rows.append(_record(W, mhat, fits, target, t, runs, step, tau, optimizer,
                                    ridge, sampler))
                log.info("step %d/%d: mean KL %.4g (closed form %.4g)", step, steps,
                         rows[-1]["kl"].mean(), rows[-1]["kl_closed"].mean())
    return pd.concat(rows, ignore_index=True)


@torch.no_grad()
def _record(W, mhat, fits, target, t, runs, step, tau, optimizer, ridge, sampler):
    Wd = W.detach().double()
    mu, S = sampling.moments(Wd, mhat.double(), t, sampler)
    tau_closed = np.inf if optimizer == "adam" else tau
    ref = closed_form.evaluate(fits, target.population, t, [ridge], [tau_closed], [sampler])
    return pd.DataFrame({
        "N": [N for N, _ in runs], "seed": [seed for _, seed in runs], "step": step,
        "tau": tau_closed, "kl": sampling.kl_of_moments(target.population, mu, S),
        "test_error": exact_test_error(Wd, mhat, target, t),
        "kl_closed": ref["kl"][0, :, 0, 0], "test_error_closed": ref["test_error"][:, 0, 0]})


def trained_table(target: Target, d: int, spec: dict, device, log=None) -> pd.DataFrame:
    """One (target, d) cell of rule linear_trained: every N of ``N_over_d`` x seed trained
    with each optimiser of ``spec["optimizers"]`` (its block: lr, steps, and for Adam the
    decayed lr_final), with the closed forms beside them; one table, optimiser first."""
    log = log or logging.getLogger(__name__)
    t = denoiser.terms(Schedule(**spec["ddpm"]))
    runs = [(N, seed) for N in sweep.sizes(d, spec["N_over_d"]) for seed in spec["seeds"]]
    frames = []
    for opt in spec["optimizers"]:
        hp = spec[opt]
        log.info("%s d=%d: %d runs, %s %s, T=%d on %s", target.name, d, len(runs), opt, hp,
                 t.T, device)
        df = train(target, runs, t, ridge=spec["ridge"], optimizer=opt, lr=hp["lr"],
                   lr_final=hp.get("lr_final", hp["lr"]),  # SGD: constant rate
                   steps=hp["steps"], batch=spec["batch"], log_points=spec["log_points"],
                   sampler=spec["sampler"], chunk=spec["chunk"], device=device)
        df.insert(0, "optimizer", opt)
        frames.append(df)
    table = pd.concat(frames, ignore_index=True)
    table.insert(0, "target", target.name)
    table.insert(1, "d", d)
    table.insert(3, "N_over_d", table["N"] / d)
    table["ridge"] = spec["ridge"]
    return table
