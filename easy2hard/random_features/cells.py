"""The (ψ_n, ψ_p) cells of the stage's grids and the sizes they stand for, without the
numerics (torch-free: the plan's cost estimate reads them, ``grid`` solves them)."""

from __future__ import annotations

import itertools

INF = float("inf")
#: the m of the convergence check (the m = 1 limit is derived)
CONVERGENCE_M = (1,)
#: the two models the samples job draws from (keys of random_features.samples)
SAMPLE_MODELS = ("memorising", "generalising")


def sizes(d: int, psi: float) -> int:
    """n = round(ψ_n d) or p = round(ψ_p d), at least 1."""
    return max(1, int(round(psi * d)))


def curve_cells(curve: str, spec: dict) -> list[tuple[float, float]]:
    """(ψ_n, ψ_p) cells of a learning curve: ``psi_p`` sweeps ψ_p at each ψ_n of the list
    ``spec["psi_n"]``, ``psi_n`` sweeps ψ_n at the fixed ``spec["psi_p"]``."""
    if curve == "psi_p":
        return [(n, v) for n in spec["psi_n"] for v in spec["values"]]
    if curve == "psi_n":
        return [(v, spec["psi_p"]) for v in spec["values"]]
    raise ValueError(f"unknown curve {curve!r}; allowed: psi_p, psi_n")


def phase_cells(spec: dict) -> list[tuple[float, float]]:
    """(ψ_n, ψ_p) cells of a phase diagram: every ψ_n with every ψ_p."""
    return list(itertools.product(spec["psi_n"], spec["psi_p"]))


def convergence_cells(spec: dict) -> list[tuple[float, float]]:
    """(ψ_n, ψ_p) cells of the convergence check: its one ψ_n with each of its ψ_p."""
    return [(spec["psi_n"], v) for v in spec["psi_p"]]
