"""Fourier clones of an image set (docs/science.md §12.2), fitted on the test split.

With X_i = F x_i = A_i e^{iθ_i} the 2-D DFT of image i (per channel):

- ``amplitude``:      A_i e^{i(θ_i + φ)}, φ uniform and Hermitian (spectra.hermitian_phases),
                      one field φ shared by the channels (so the phase differences between
                      channels, their correlation, are kept): the power spectrum of every
                      image is kept exactly, its spatial phases are noise;
- ``amplitude_whitened``: the ``amplitude`` clone in whitened coordinates, recoloured:
                      μ + S (amplitude clone of S⁻¹(x_i − μ)), S = Σ^{1/2} the symmetric root
                      of the test covariance. Whitened images have covariance I, which random
                      phases keep, so the clone keeps the test mean and covariance exactly (in
                      expectation) where ``amplitude`` keeps only the circulant part;
- ``phase``:          Ā e^{iθ_i}, Ā(k) = sqrt(mean_j A_j(k)²): every image keeps its own
                      phases, with the set's root-mean-square amplitude, so the set keeps
                      the test split's mean power spectrum and each image loses its own;
- ``amplitude_swap``: A_{π(i)} e^{iθ_i} with π a random cyclic derangement (π(i) ≠ i): a
                      real image's amplitude with another real image's phases (control).

The zero frequency (each image's mean pixel value) is left as it is in every clone: the
clones act on the mean-free part of the image. Clone image i is made from test image
i mod n_test. Each clone draws from its own stream (seed, "fourier", kind).
"""

from __future__ import annotations

import numpy as np
import torch

from ..core import streams
from .spectra import hermitian_phases, polar, synthesize, zero_frequency

from .names import CLONES  # noqa: F401  (re-exported)
DIMS = (-2, -1)


def mean_amplitude(images: torch.Tensor) -> torch.Tensor:
    """Root-mean-square DFT amplitude (C, H, W) of images (n, C, H, W)."""
    return polar(images, DIMS)[0].square().mean(0).sqrt()


def derangement(n: int, generator: torch.Generator) -> torch.Tensor:
    """π with π(i) ≠ i for n >= 2: each element maps to its successor in a random cycle."""
    if n < 2:
        raise ValueError(f"amplitude_swap needs at least 2 test images, got {n}")
    order = torch.randperm(n, generator=generator)
    partner = torch.empty(n, dtype=torch.long)
    partner[order] = order.roll(-1)
    return partner


def _clone(kind: str, x: torch.Tensor, source: torch.Tensor, gen, rms: torch.Tensor):
    """Clone ``kind`` of images x (float64), source the amplitude donors of amplitude_swap."""
    A, theta = polar(x, DIMS)
    dc = zero_frequency(DIMS, x.dim())
    if kind == "amplitude":
        shift = hermitian_phases((len(x), 1, *x.shape[2:]), DIMS, gen)
        shift[dc] = 0
        return synthesize(A, theta + shift, DIMS)
    donor = rms.expand_as(A).clone() if kind == "phase" else polar(source, DIMS)[0]
    donor[dc] = A[dc]
    return synthesize(donor, theta, DIMS)


def whitening(x: torch.Tensor, floor: float = 1e-10):
    """(μ, S, S⁻¹) of images x (n, C, H, W): S = V diag(√λ) Vᵀ the symmetric root of the
    unbiased covariance, eigenvalues below ``floor`` times the largest raised to it."""
    flat = x.flatten(1)
    mu = flat.mean(0)
    c = flat - mu
    lam, V = torch.linalg.eigh(c.T @ c / (len(x) - 1))
    lam = lam.clamp(min=floor * float(lam.max()))
    return mu, (V * lam.sqrt()) @ V.T, (V / lam.sqrt()) @ V.T


def sample(kind: str, images: np.ndarray, n: int | None, seed: int,
           chunk: int = 1024) -> np.ndarray:
    """``n`` (default: as many as images) images of clone ``kind`` as float32 (n, C, H, W)."""
    if kind not in CLONES:
        raise ValueError(f"unknown Fourier clone {kind!r}; allowed: {', '.join(CLONES)}")
    x = torch.as_tensor(np.asarray(images), dtype=torch.float64)
    if x.dim() != 4:
        raise ValueError(f"need images of shape (n, C, H, W), got {tuple(x.shape)}")
    n = len(x) if n is None else int(n)
    gen = streams.generator(seed, "fourier", "clones", kind)
    partner = derangement(len(x), gen) if kind == "amplitude_swap" else None
    rms = mean_amplitude(x) if kind == "phase" else None
    if kind == "amplitude_whitened":
        mu, root, inverse = whitening(x)
        x = ((x.flatten(1) - mu) @ inverse).view_as(x)
    idx = torch.arange(n) % len(x)
    out = np.empty((n, *x.shape[1:]), np.float32)
    for start in range(0, n, chunk):
        i = idx[start:start + chunk]
        source = x[partner[i]] if partner is not None else None
        y = _clone("amplitude" if kind == "amplitude_whitened" else kind, x[i], source, gen, rms)
        if kind == "amplitude_whitened":
            y = (mu + y.flatten(1) @ root).view_as(y)
        out[start:start + len(i)] = y.numpy()
    return out
