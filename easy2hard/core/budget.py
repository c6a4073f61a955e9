"""Sample budgets that scale with the dimension: n_max = coef · N^power (· ln N if log).

One formula for every stage that sizes its runs by N (the MCM sweeps, the Fourier denoiser
and classifier sweeps) and for the config check that the budget stays finite.
"""

from __future__ import annotations

import math
from collections.abc import Mapping


def sample_budget(budget: Mapping, N: int) -> float:
    """coef · N^power, times ln N when ``budget["log"]`` is set (a block without ``log``
    has no log factor), unrounded; OverflowError where it does not fit a float."""
    log = math.log(N) if budget.get("log", False) else 1.0
    return float(budget["coef"] * N ** budget["power"] * log)


def n_max(budget: Mapping, N: int) -> int:
    """The sample budget rounded to an integer, at least 1."""
    return max(1, int(round(sample_budget(budget, N))))
