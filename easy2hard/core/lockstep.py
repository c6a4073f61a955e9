"""Shared machinery of every batched trainer: log-spaced step grids (and, below, the pieces
that runs advancing in lockstep share)."""

from __future__ import annotations

import numpy as np


def checkpoint_steps(steps: int, n: int, first: int = 1) -> list[int]:
    """``n`` strictly increasing, log-spaced integer steps from ``first`` to ``steps``."""
    if not 1 <= first <= steps or n < 1 or n > steps - first + 1:
        raise ValueError(f"cannot place {n} checkpoints between steps {first} and {steps}")
    if n == 1:
        return [steps]
    out: list[int] = []
    for i, s in enumerate(np.geomspace(first, steps, n)):
        # Room for the remaining checkpoints above, at least one step past the previous.
        s = min(max(int(round(s)), out[-1] + 1 if out else first), steps - (n - 1 - i))
        out.append(s)
    return out
