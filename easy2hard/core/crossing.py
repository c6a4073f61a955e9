"""Where a sampled curve first crosses a level, interpolated linearly in log x: the n* of
the MCM sweeps and the memorisation crossover of the random-features stage."""

from __future__ import annotations

import numpy as np


def log_first_crossing(x, y, level: float, inclusive: bool = True) -> float:
    """Smallest x where y reaches ``level`` (y >= level; y > level unless ``inclusive``),
    interpolated linearly in log x between the grid points around it; x[0] if y[0] is
    already there, nan if y never is. ``x`` must be positive and increasing."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    above = np.flatnonzero(y >= level if inclusive else y > level)
    if not len(above):
        return float("nan")
    k = above[0]
    if k == 0:
        return float(x[0])
    u = (level - y[k - 1]) / (y[k] - y[k - 1])
    return float(np.exp(np.log(x[k - 1]) + u * (np.log(x[k]) - np.log(x[k - 1]))))
