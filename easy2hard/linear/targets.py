"""Targets of the linear stage (docs/science.md §10.1): Gaussian data with a chosen spectrum
(isotropic or power law) and natural image patches reduced to d = side² pixels, whose
"population" is the mean and covariance of a large held-out set.

Notation of this stage (as in Merger & Goldt): N = training samples, d = dimension.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..core import streams

GAUSSIAN = ("isotropic", "power_law")
TARGETS = (*GAUSSIAN, "natural_patches")


@dataclass(frozen=True)
class Population:
    """A Gaussian N(mean, cov) with its precision and log-determinant (§10.1)."""

    mean: np.ndarray
    cov: np.ndarray
    prec: np.ndarray = field(init=False, repr=False)
    logdet: float = field(init=False)

    def __post_init__(self):
        evals, evecs = np.linalg.eigh(self.cov)
        if evals.min() <= 0:
            raise ValueError(f"population covariance is not positive definite "
                             f"(smallest eigenvalue {evals.min():.3g})")
        object.__setattr__(self, "prec", (evecs / evals) @ evecs.T)
        object.__setattr__(self, "logdet", float(np.log(evals).sum()))

    @property
    def d(self) -> int:
        return len(self.mean)


def spectrum(kind: str, d: int, exponent: float) -> np.ndarray:
    """Eigenvalues of a Gaussian target: all 1 (isotropic) or ∝ ν^-exponent, ν = 1..d,
    scaled so that their sum is d (power_law)."""
    if kind == "isotropic":
        return np.ones(d)
    if kind == "power_law":
        lam = np.arange(1, d + 1, dtype=float) ** -float(exponent)
        return lam * d / lam.sum()
    raise ValueError(f"unknown Gaussian target {kind!r}; allowed: {', '.join(GAUSSIAN)}")


def reduce_patches(x: np.ndarray, downsample: int, side: int) -> np.ndarray:
    """(n, 1, H, W) patches → (n, side²) float64: average-pool by ``downsample``, then the
    central side × side crop."""
    n, _, H, W = x.shape
    h, w = H // downsample, W // downsample
    if side > min(h, w):
        raise ValueError(f"crop side {side} exceeds the {h}x{w} downsampled patch")
    pooled = x[:, 0, :h * downsample, :w * downsample].astype(np.float64)
    pooled = pooled.reshape(n, h, downsample, w, downsample).mean((2, 4))
    y0, x0 = (h - side) // 2, (w - side) // 2
    return pooled[:, y0:y0 + side, x0:x0 + side].reshape(n, side * side)


@dataclass(frozen=True)
class Target:
    """A target distribution: its population Gaussian and how to draw a training set."""

    name: str
    population: Population
    pool: np.ndarray | None = None  # patches to draw training sets from (None: Gaussian)

    @property
    def d(self) -> int:
        return self.population.d

    def training_set(self, N: int, seed: int) -> np.ndarray:
        """(N, d) float64 training set of run (N, seed), from the run's own stream."""
        gen = streams.generator(seed, "linear", "train", self.name, self.d, N)
        if self.pool is None:
            z = torch.randn(N, self.d, generator=gen, dtype=torch.float64).numpy()
            return self.population.mean + z * np.sqrt(np.diag(self.population.cov))
        if N > len(self.pool):
            raise ValueError(f"{self.name}: N = {N} exceeds the {len(self.pool)} patches "
                             f"of the training split")
        return self.pool[torch.randperm(len(self.pool), generator=gen)[:N].numpy()]


def gaussian(kind: str, d: int, exponent: float = 1.0) -> Target:
    """A zero-mean Gaussian target with a diagonal covariance of the given spectrum."""
    return Target(kind, Population(np.zeros(d), np.diag(spectrum(kind, d, exponent))))


def patches(pool: np.ndarray, heldout: np.ndarray) -> Target:
    """Natural patches: training sets from ``pool``; population = moments of ``heldout``."""
    mean = heldout.mean(0)
    cov = (heldout - mean).T @ (heldout - mean) / len(heldout)
    return Target("natural_patches", Population(mean, cov), np.asarray(pool, dtype=np.float64))


def build(name: str, d: int, exponent: float = 1.0, pool: np.ndarray | None = None,
          heldout: np.ndarray | None = None) -> Target:
    """The target ``name`` in d dimensions (natural_patches needs the reduced ``pool`` and
    ``heldout`` arrays, (n, d) each)."""
    if name in GAUSSIAN:
        return gaussian(name, d, exponent)
    if name != "natural_patches":
        raise ValueError(f"unknown target {name!r}; allowed: {', '.join(TARGETS)}")
    if pool is None or heldout is None or pool.shape[1] != d or heldout.shape[1] != d:
        raise ValueError(f"natural_patches in d = {d} needs pool and held-out patches of d pixels")
    return patches(pool, heldout)


def from_files(name: str, d: int, exponent: float = 1.0, pool: str | None = None,
               heldout: str | None = None) -> Target:
    """:func:`build` with the natural patches read from .npy files (as written by the
    linear_patches rule)."""
    from ..core.io import read_npy

    arrays = [read_npy(p) if p else None for p in (pool, heldout)]
    return build(name, d, exponent, *arrays)
