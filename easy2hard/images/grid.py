"""Image sets as tidy tables and tiled grids (numpy and pandas only: usable in the plot env).

A table holds one row per image: its ``index``, ``height``, ``width``, ``channels`` and the
``pixels`` as a flat float32 list, plus whatever label columns the caller adds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def to_table(images: np.ndarray, **labels) -> pd.DataFrame:
    """(n, C, H, W) images → one row per image, with constant ``labels`` columns."""
    n, c, h, w = images.shape
    flat = np.asarray(images, dtype=np.float32).reshape(n, -1)
    return pd.DataFrame({**labels, "index": np.arange(n), "channels": c, "height": h, "width": w,
                         "pixels": list(flat)})


def from_table(table: pd.DataFrame) -> np.ndarray:
    """Rows of ``to_table`` (in index order) → (n, C, H, W) float32."""
    rows = table.sort_values("index")
    c, h, w = (int(rows[k].iloc[0]) for k in ("channels", "height", "width"))
    return np.stack([np.asarray(p, dtype=np.float32) for p in rows["pixels"]]).reshape(-1, c, h, w)


def grid(images: np.ndarray, nrow: int, value_range=(0.0, 1.0), pad: int = 1) -> np.ndarray:
    """Tile (n, C, H, W) images into one (rows·(H+pad)-pad, nrow·(W+pad)-pad) array in [0, 1]."""
    lo, hi = value_range
    x = np.clip((np.asarray(images, dtype=np.float32) - lo) / (hi - lo), 0, 1).mean(1)
    n, h, w = x.shape
    rows = -(-n // nrow)
    out = np.ones((rows * (h + pad) - pad, nrow * (w + pad) - pad), dtype=np.float32)
    for i, img in enumerate(x):
        r, c = divmod(i, nrow)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = img
    return out
