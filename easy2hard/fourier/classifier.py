"""The phase classification task on the synthetic model (docs/science.md §12.5).

Online SGD on one spherical neuron with the readout f(x) = He₄(u)/√24 + b, u = w·x (readout
``he4``) or u = w·x / √(wᵀCw) (``normalised``, C the input covariance), tells the
signals of the synthetic model (synthetic.py: amplitude |k|^-α, phases of a sparse signal)
from their random-phase clones, which have the same amplitude, hence the same covariance:
only higher-order statistics separate the two classes. The learning rate is η_w = lr / N²
(the scaling under which online SGD on a signal of information exponent 4 escapes the
equator after ~N³ samples), η_b = bias_lr. The test error (held-out set of n_eval signals of
each class) is logged at log-spaced n; ``oracle_error`` is the error of the planted neuron
w = e₀ (a coordinate vector: the data's spikes sit on coordinates) with the best bias.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core import budget
from ..core.lockstep_tables import log_steps
from ..core.progress import Progress
from . import classifier_kernel as kernel
from .synthetic import SIGNS, spike_count, spectrum


@dataclass(frozen=True)
class Settings:
    """One classifier run: signal length, spectrum, phases, optimiser, budget, seed."""

    N: int
    alpha: float
    density: float
    signs: str
    lr: float
    bias_lr: float
    n_max: int
    eval_samples: int
    log_points: int
    level: float
    after: int
    seed: int
    readout: str = "he4"


#: the readouts (classifier_kernel.step): He₄(w·x)/√24, and He₄(w·x/√(wᵀCw))/√24
READOUTS = ("he4", "normalised")


def stream_seed(*tags) -> int:
    """A 32-bit seed from a stable hash of the tags (numba's generator takes 32 bits)."""
    key = "/".join(map(str, tags)).encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:4], "little")


def half_spectrum(N: int, alpha: float):
    """Amplitudes A_k on k = 0..N//2 and Parseval weights c_k (1 at k = 0 and Nyquist, else 2)."""
    amp = spectrum(N, alpha).numpy()[: N // 2 + 1].copy()
    c = np.full(N // 2 + 1, 2.0)
    c[0] = 1.0
    if N % 2 == 0:
        c[-1] = 1.0
    return amp, c


def best_threshold_error(score: np.ndarray, y: np.ndarray) -> float:
    """Smallest error of the rule "data iff score > τ" over every threshold τ."""
    order = np.argsort(score, kind="stable")
    pos = (y[order] > 0).astype(float)
    # τ just above the i-th smallest score: data below it are wrong, clones above it are wrong
    wrong = np.concatenate([[0.0], np.cumsum(pos)]) + np.concatenate(
        [[(1 - pos).sum()], (1 - pos).sum() - np.cumsum(1 - pos)])
    return float(wrong.min() / len(y))


def readout_eigenvalues(N: int, alpha: float, readout: str) -> np.ndarray:
    """The kernel's ``lam``: covariance eigenvalues A_k²/N on k = 0..N//2 for the normalised
    readout, empty for he4."""
    if readout not in READOUTS:
        raise ValueError(f"unknown readout {readout!r}; allowed: {', '.join(READOUTS)}")
    amp = half_spectrum(N, alpha)[0]
    return amp**2 / N if readout == "normalised" else np.zeros(0)


def planted(N: int, alpha: float) -> list[np.ndarray]:
    """Half spectra of the planted neurons: the coordinate e₀ and its whitened version
    C^{-1/2} e₀ / ‖·‖ (W_k ∝ 1/A_k), along which h has the kurtosis of the α = 0 signal."""
    amp, c = half_spectrum(N, alpha)
    inv = np.where(amp > 0, 1.0 / np.where(amp > 0, amp, 1.0), 0.0)
    return [np.ones(N // 2 + 1, complex), (inv / math.sqrt((c * inv**2).sum() / N)).astype(complex)]


def run(s: Settings) -> pd.DataFrame:
    """One online SGD run: test error and bias at log-spaced n (n = samples seen).

    ``oracle_error``: the smaller best-bias error of the two planted neurons; the run counts
    as having learnt the phases once its error is at most ``error_level`` = ½ − level·(½ −
    oracle_error); it stops ``after`` logged points later (or at n_max)."""
    if s.signs not in SIGNS:
        raise ValueError(f"unknown spike signs {s.signs!r}; allowed: {', '.join(SIGNS)}")
    N, spikes, rand = s.N, spike_count(s.N, s.density), s.signs == "random"
    amp, c = half_spectrum(N, s.alpha)
    lam = readout_eigenvalues(N, s.alpha, s.readout)
    tags = ("fourier-classifier", s.seed, N, s.alpha, s.density, s.signs)
    Xt, yt = kernel.test_set(amp, N, spikes, rand, s.eval_samples, stream_seed(*tags, "test"))
    rng = np.random.default_rng(stream_seed(*tags, "init"))
    w = rng.standard_normal(N)
    W = np.fft.rfft(w / np.linalg.norm(w))
    b, done, rows = 0.0, 0, []
    oracle = min(best_threshold_error(kernel.heads(P, Xt, c, N, lam), yt)
                 for P in planted(N, s.alpha))
    level, left = 0.5 - s.level * (0.5 - oracle), s.after
    for i, n in enumerate(log_steps(s.n_max, s.log_points)):
        if n > done:
            b = kernel.train(W, b, amp, c, N, spikes, rand, s.lr / N**2, s.bias_lr, n - done,
                             stream_seed(*tags, "train", i), lam)
            done = n
        f = kernel.heads(W, Xt, c, N, lam) + b
        wx = np.fft.irfft(W, n=N)
        rows.append({"n": n, "error": float(np.mean(f * yt <= 0)), "bias": b,
                     "max_weight": float(np.abs(wx).max())})
        left -= rows[-1]["error"] <= level or left < s.after
        if left < 0:
            break
    df = pd.DataFrame(rows)
    return df.assign(oracle_error=oracle, error_level=level, **{k: getattr(s, k) for k in
                                             ("N", "alpha", "readout", "density", "signs", "lr", "bias_lr", "n_max", "seed")})


def settings(N: int, spec: dict) -> list[Settings]:
    """The runs of one cell (one N): every readout x alpha x seed of the validated config
    block ``spec``."""
    n_max = budget.n_max(spec["n_max"], N)
    return [Settings(N=N, alpha=float(a), density=spec["density"], signs=spec["signs"],
                     lr=spec["lr"], bias_lr=spec["bias_lr"], n_max=n_max,
                     eval_samples=spec["eval_samples"], log_points=spec["log_points"],
                     level=spec["level"], after=spec["after"], seed=int(seed), readout=r)
            for r in spec["readout"] for a in spec["alpha"] for seed in spec["seeds"]]


def cell(N: int, spec: dict, log=None) -> pd.DataFrame:
    """Every run of one N, in order; progress in samples (a censored run costs n_max)."""
    runs = settings(N, spec)
    progress, done, frames = Progress(sum(s.n_max for s in runs), log, what="samples"), 0, []
    for s in runs:
        frames.append(run(s))
        done += s.n_max
        progress.update(done)
    progress.finish()
    return pd.concat(frames, ignore_index=True)
