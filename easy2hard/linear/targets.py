"""Targets of the linear stage (docs/science.md §10.1): Gaussian data with a chosen spectrum
(isotropic or power law); two non-Gaussian laws with the power-law covariance (a
multivariate Student-t and a Laplace latent model), whose densities are exact; and natural
image patches reduced to d = side² pixels, whose "population" is the mean and covariance of
a large held-out set.

Notation of this stage (as in Merger & Goldt): N = training samples, d = dimension.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..core import streams
from . import laws

from .names import GAUSSIAN, NON_GAUSSIAN, TARGETS  # noqa: F401  (re-exported)


@dataclass(frozen=True)
class Population:
    """A Gaussian N(mean, cov) with its precision and log-determinant (§10.1)."""

    mean: np.ndarray
    cov: np.ndarray
    prec: np.ndarray = field(init=False, repr=False)
    logdet: float = field(init=False)
    root: np.ndarray = field(init=False, repr=False)  # symmetric Σ^{1/2}

    def __post_init__(self):
        evals, evecs = np.linalg.eigh(self.cov)
        if evals.min() <= 0:
            raise ValueError(f"population covariance is not positive definite "
                             f"(smallest eigenvalue {evals.min():.3g})")
        object.__setattr__(self, "prec", (evecs / evals) @ evecs.T)
        object.__setattr__(self, "logdet", float(np.log(evals).sum()))
        object.__setattr__(self, "root", (evecs * np.sqrt(evals)) @ evecs.T)

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


@dataclass(frozen=True)
class Target:
    """A target distribution: its population Gaussian and how to draw a training set."""

    name: str
    population: Population
    pool: np.ndarray | None = None  # patches to draw training sets from (None: a law)
    law: str = "gaussian"  # laws.LAWS: x = μ + Σ^{1/2} z, z white with this law
    dof: int = 0  # degrees of freedom of the student_t law
    heldout: np.ndarray | None = None  # natural patches: the held-out set (population)

    @property
    def d(self) -> int:
        return self.population.d

    @property
    def exact_density(self) -> bool:
        """Whether log_density is the target's density (not so for natural patches)."""
        return self.pool is None

    def draw(self, n: int, gen: torch.Generator) -> np.ndarray:
        """(n, d) float64 draws of the law from ``gen`` (not for natural patches)."""
        z = laws.draw_white(self.law, n, self.d, self.dof, gen)
        return self.population.mean + z @ self.population.root

    def log_density(self, x: np.ndarray) -> np.ndarray:
        """log p(x) for x (..., d): the white law's log density at Σ^{-1/2}(x - μ), less
        ½ log det Σ."""
        pop = self.population
        z = (x - pop.mean) @ (pop.prec @ pop.root)  # Σ^{-1/2} = Σ^{-1} Σ^{1/2} (symmetric)
        return laws.log_density_white(self.law, z, self.dof) - 0.5 * pop.logdet

    def training_set(self, N: int, seed: int) -> np.ndarray:
        """(N, d) float64 training set of run (N, seed), from the run's own stream."""
        gen = streams.generator(seed, "linear", "train", self.name, self.d, N)
        if self.pool is None:
            return self.draw(N, gen)
        if N > len(self.pool):
            raise ValueError(f"{self.name}: N = {N} exceeds the {len(self.pool)} patches "
                             f"of the training split")
        return self.pool[torch.randperm(len(self.pool), generator=gen)[:N].numpy()]


def gaussian(kind: str, d: int, exponent: float = 1.0) -> Target:
    """A zero-mean Gaussian target with a diagonal covariance of the given spectrum."""
    return Target(kind, Population(np.zeros(d), np.diag(spectrum(kind, d, exponent))))


def non_gaussian(law: str, d: int, exponent: float = 1.0, dof: int = 6) -> Target:
    """A zero-mean ``law`` (student_t or laplace_latent) with the power-law covariance."""
    pop = Population(np.zeros(d), np.diag(spectrum("power_law", d, exponent)))
    return Target(law, pop, law=law, dof=dof if law == "student_t" else 0)


def patch_scale(heldout: np.ndarray) -> float:
    """The factor that gives the held-out patches a covariance of trace d."""
    centred = heldout - heldout.mean(0)
    return float(np.sqrt(heldout.shape[1] / (centred**2).sum(1).mean()))


def patches(pool: np.ndarray, heldout: np.ndarray, normalise_trace: bool = True) -> Target:
    """Natural patches: training sets from ``pool``; population = moments of ``heldout``;
    with ``normalise_trace`` both are scaled by one factor so that tr Σ = d."""
    scale = patch_scale(heldout) if normalise_trace else 1.0
    heldout = np.asarray(heldout, dtype=np.float64) * scale
    mean = heldout.mean(0)
    cov = (heldout - mean).T @ (heldout - mean) / len(heldout)
    return Target("natural_patches", Population(mean, cov), np.asarray(pool, dtype=np.float64) * scale,
                  heldout=heldout)


def build(name: str, d: int, exponent: float = 1.0, pool: np.ndarray | None = None,
          heldout: np.ndarray | None = None, dof: int = 6, normalise_trace: bool = True) -> Target:
    """The target ``name`` in d dimensions (natural_patches needs the reduced ``pool`` and
    ``heldout`` arrays, (n, d) each)."""
    if name in GAUSSIAN:
        return gaussian(name, d, exponent)
    if name in NON_GAUSSIAN:
        return non_gaussian(name, d, exponent, dof)
    if name != "natural_patches":
        raise ValueError(f"unknown target {name!r}; allowed: {', '.join(TARGETS)}")
    if pool is None or heldout is None or pool.shape[1] != d or heldout.shape[1] != d:
        raise ValueError(f"natural_patches in d = {d} needs pool and held-out patches of d pixels")
    return patches(pool, heldout, normalise_trace)


def from_files(name: str, d: int, exponent: float = 1.0, pool: str | None = None,
               heldout: str | None = None, dof: int = 6, normalise_trace: bool = True) -> Target:
    """:func:`build` with the natural patches read from .npy files (as written by the
    linear_patches rule)."""
    from ..core.tables import read_npy

    arrays = [read_npy(p) if p else None for p in (pool, heldout)]
    return build(name, d, exponent, *arrays, dof=dof, normalise_trace=normalise_trace)


#: the keys of a target's config besides its name (the plan sends those the target uses)
#: -> the argument of :func:`from_files` each sets
SPEC_KEYS = {"power_law_exponent": "exponent", "student_t_dof": "dof",
             "normalise_trace": "normalise_trace"}


def from_spec(name: str, d: int, spec: dict, pool: str | None = None,
              heldout: str | None = None) -> Target:
    """:func:`from_files` with the target's keys of a job's ``spec`` (only those the target
    uses are in it: the validated config fills their defaults)."""
    keys = {arg: spec[key] for key, arg in SPEC_KEYS.items() if key in spec}
    return from_files(name, d, pool=pool, heldout=heldout, **keys)
