"""The torch-free part of core.lockstep (re-exported there): the logged-step grids and the
run labels of the log tables, for trainers and drivers that do not need torch."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd


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


def log_steps(steps: int, points: int) -> list[int]:
    """Step 0 and exactly min(points, steps) distinct log-spaced steps in [1, steps], the
    last one ``steps`` (``checkpoint_steps`` from 1): the logged steps of every trainer."""
    if steps < 1:
        return [0]
    return [0, *checkpoint_steps(steps, min(points, steps))]


def labels(runs) -> pd.DataFrame:
    """One row per run with the fields of its dataclass, in field order (the fields are
    scalars, so a shallow read; ``dataclasses.asdict`` deep-copies and took a tenth of a
    1024-run MCM cell's setup)."""
    if not runs:
        return pd.DataFrame()
    names = [f.name for f in fields(runs[0])]
    return pd.DataFrame([[getattr(r, n) for n in names] for r in runs], columns=names)
