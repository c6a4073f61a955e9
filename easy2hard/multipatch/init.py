"""The shared initialisation of both objectives (docs/science.md §11.4)."""

from __future__ import annotations

import torch

from ..core import streams


def initial_weights(seed: int, m: int, d: int, sigma0: float) -> torch.Tensor:
    """(2, m, d) float64 weights, entries N(0, σ₀²): group 0 from stream (seed, multipatch,
    init, plus), group 1 from (seed, multipatch, init, minus). The diffusion network starts
    from group 0, the classifier from both (group 0 = its F_{+1} filters), so both objectives
    start from the same filters, and the start does not depend on the SNR."""
    groups = [sigma0 * torch.randn(m, d, generator=streams.generator(seed, "multipatch", "init", tag),
                                   dtype=torch.float64) for tag in ("plus", "minus")]
    return torch.stack(groups)
