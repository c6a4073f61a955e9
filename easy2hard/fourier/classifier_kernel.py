"""Compiled (numba) inner loop of the phase classifier (docs/science.md §12.5).

One neuron on the unit sphere, h = w·x, with the fixed readout f(x) = He₄(u)/√24 + b
(He₄(u) = u⁴ − 6u² + 3) and the logistic loss log(1 + e^{−y f}), y = +1 for a signal of
the model and −1 for its random-phase clone. The pre-activation u is h itself (readout
``he4``, matched to var(h) = 1) or h / s with s² = wᵀCw the neuron's own variance under the
input covariance C (readout ``normalised``: var(u) = 1 for every w and spectrum). Online
SGD, one fresh sample per step:

    g = −y σ(−y f),   w ← (w − η_w g He₄'(u)/√24 ∂u/∂w) / ‖·‖,   b ← b − η_b g,

with He₄'(u) = 4(u³ − 3u), ∂u/∂w = x (he4) or (x − u Cw / s) / s (normalised; C is the
circulant with eigenvalues λ_k = A_k²/N, so (Cw)_k = λ_k W_k). Everything runs on the half spectrum k = 0..N/2 (Parseval:
w·x = (1/N) Σ_k c_k Re(conj W_k X_k), c_k = 2 except at k = 0 and the Nyquist frequency),
so a step costs O(N) plus the sample's draw: O(N) for the clone (uniform phases) and
O(spikes · N) for the data (the DFT of a sparse signal, summed directly).

Each call draws from numba's generator seeded by its ``seed`` argument, so a segment of a
run is a function of its seed only and runs may be advanced in any order.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

SQRT24 = math.sqrt(24.0)


@njit(cache=True)
def sample(X, amp, roots, N, spikes, data, signs_random):
    """One half spectrum A_k U_k into X (N//2 + 1,): the phases of a sparse signal of
    ``spikes`` ±1 (or +1) spikes at uniform positions (``data``) or uniform phases;
    ``roots`` holds e^{−2πi m/N}, m = 0..N−1."""
    M = N // 2 + 1
    if data:
        for k in range(M):
            X[k] = 0.0
        for s in range(spikes):
            p = np.random.randint(0, N)
            v = 1.0
            if signs_random and np.random.random() < 0.5:
                v = -1.0
            for k in range(M):
                X[k] += v * roots[(k * p) % N]
    for k in range(M):
        r = abs(X[k]) if data else 0.0
        if r > 1e-9 * max(spikes, 1):
            X[k] = amp[k] * X[k] / r
        elif 2 * k == N or k == 0:  # self-conjugate: a real phase, 0 or π
            X[k] = amp[k] if np.random.random() < 0.5 else -amp[k]
        else:
            a = 2.0 * math.pi * np.random.random()
            X[k] = amp[k] * complex(math.cos(a), math.sin(a))


@njit(cache=True, inline="always")
def overlap(W, X, c, N):
    h = 0.0
    for k in range(W.shape[0]):
        h += c[k] * (W[k].real * X[k].real + W[k].imag * X[k].imag)
    return h / N


@njit(cache=True, inline="always")
def he4(h):
    h2 = h * h
    return (h2 * h2 - 6.0 * h2 + 3.0) / SQRT24


@njit(cache=True, inline="always")
def scale(W, lam, c, N):
    """s = √(wᵀCw) for ``lam`` the covariance eigenvalues on the half spectrum, or 1 when
    ``lam`` is empty (the he4 readout)."""
    if lam.shape[0] == 0:
        return 1.0
    v = 0.0
    for k in range(W.shape[0]):
        v += c[k] * lam[k] * (W[k].real ** 2 + W[k].imag ** 2)
    return math.sqrt(v / N)


@njit(cache=True, inline="always")
def step(W, b, X, y, c, N, eta_w, eta_b, lam):
    """One SGD step on the sample X (half spectrum) with label y: W in place; returns b.
    ``lam``: covariance eigenvalues (normalised readout) or empty (he4 readout)."""
    s = scale(W, lam, c, N)
    u = overlap(W, X, c, N) / s
    z = -y * (he4(u) + b)
    g = -y / (1.0 + math.exp(-z)) if z > -40.0 else 0.0
    cw = eta_w * g * 4.0 * (u * u * u - 3.0 * u) / SQRT24 / s
    norm = 0.0
    for k in range(W.shape[0]):
        if lam.shape[0] == 0:
            W[k] -= cw * X[k]
        else:
            W[k] -= cw * (X[k] - (u * lam[k] / s) * W[k])
        norm += c[k] * (W[k].real ** 2 + W[k].imag ** 2)
    inv = 1.0 / math.sqrt(norm / N)
    for k in range(W.shape[0]):
        W[k] *= inv
    return b - eta_b * g


@njit(cache=True)
def train(W, b, amp, c, N, spikes, signs_random, eta_w, eta_b, n, seed, lam):
    """n online SGD steps from (W, b); W (half spectrum of w, ‖w‖ = 1) in place; returns b.
    Each step draws its label (±1 with probability ½) and then its sample; ``lam`` as in
    ``step``."""
    np.random.seed(seed)
    roots = np.exp(-2j * np.pi * np.arange(N) / N)
    X = np.zeros(W.shape[0], dtype=np.complex128)
    for _ in range(n):
        y = 1.0 if np.random.random() < 0.5 else -1.0
        sample(X, amp, roots, N, spikes, y > 0, signs_random)
        b = step(W, b, X, y, c, N, eta_w, eta_b, lam)
    return b


@njit(cache=True)
def test_set(amp, N, spikes, signs_random, n, seed):
    """(2n, N//2 + 1) half spectra, n signals of the model then n clones, and their labels."""
    np.random.seed(seed)
    roots = np.exp(-2j * np.pi * np.arange(N) / N)
    X = np.zeros((2 * n, N // 2 + 1), dtype=np.complex128)
    y = np.ones(2 * n)
    for i in range(2 * n):
        sample(X[i], amp, roots, N, spikes, i < n, signs_random)
        if i >= n:
            y[i] = -1.0
    return X, y


@njit(cache=True)
def heads(W, X, c, N, lam):
    """He₄(u)/√24 of every row of X (n, N//2 + 1) under the neuron W (``lam`` as in ``step``)."""
    out = np.empty(X.shape[0])
    s = scale(W, lam, c, N)
    for i in range(X.shape[0]):
        out[i] = he4(overlap(W, X[i], c, N) / s)
    return out
