"""Natural image patches reduced to d = side² pixels for the linear stage (docs/science.md
§10.1). Numpy only, so that the job that reduces the patches does not import torch."""

from __future__ import annotations

import numpy as np


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
