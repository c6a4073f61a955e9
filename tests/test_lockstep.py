"""The one logged-step grid of every trainer (easy2hard.core.lockstep.log_steps)."""

import numpy as np
import pytest

from easy2hard.core.lockstep import log_steps


@pytest.mark.parametrize("steps, points", [(1, 1), (3, 5), (12, 4), (12, 12), (20, 19),
                                           (100, 30), (10_000, 60), (7, 1)])
def test_exactly_min_points_steps_distinct_steps_ending_at_steps(steps, points):
    grid = log_steps(steps, points)
    assert grid[0] == 0 and grid[-1] == steps
    assert len(grid) == 1 + min(points, steps)
    assert np.all(np.diff(grid) > 0)


def test_small_step_counts_keep_every_point():
    """Where rounding a log spacing merges points, the grid still has ``points`` steps."""
    assert len(np.unique(np.round(np.geomspace(1, 10, 10)))) == 8  # the merge this avoids
    assert log_steps(10, 10) == list(range(11))
    assert log_steps(12, 4) == [0, 1, 2, 5, 12]
    assert log_steps(3, 8) == [0, 1, 2, 3]


def test_log_spaced_at_large_step_counts():
    grid = np.array(log_steps(10**6, 7)[1:])
    assert np.allclose(np.log10(grid), np.arange(7), atol=1e-6)


def test_no_steps_logs_step_zero_only():
    assert log_steps(0, 5) == [0]
