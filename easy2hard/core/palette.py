"""Colour palettes for the figures, without importing seaborn (its import pulls in scipy.stats
and costs every figure job about a second).

``palette(name, n)`` gives the colours seaborn's ``color_palette(name, n)`` gives for a matplotlib
colormap name: the first n entries, cycled, of a listed (qualitative) map such as ``tab10``, and
n evenly spaced interior samples of a continuous map such as ``viridis``.
"""

from __future__ import annotations

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import ListedColormap


def palette(name: str = "tab10", n: int = 10) -> list[tuple[float, float, float]]:
    """``n`` RGB colours of the matplotlib colormap ``name`` (as seaborn picks them)."""
    cmap = colormaps[name]
    if isinstance(cmap, ListedColormap) and cmap.N <= 20:
        listed = [tuple(c[:3]) for c in cmap.colors]
        return [listed[i % len(listed)] for i in range(n)]
    return [tuple(c[:3]) for c in cmap(np.linspace(0, 1, n + 2)[1:-1])]
