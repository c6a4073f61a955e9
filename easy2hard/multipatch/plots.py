"""Drawing helpers of the multipatch figures (no torch: they run in the plot env)."""

from __future__ import annotations

import numpy as np
import pandas as pd

OBJECTIVE_COLORS = {"classification": "tab:red", "diffusion": "tab:blue"}


def seed_band(ax, df: pd.DataFrame, x: str, y: str, **kw) -> None:
    """Seed mean of ``y`` against ``x`` as a line, with the seeds' min-max range shaded."""
    g = df.groupby(x)[y].agg(["mean", "min", "max"]).reset_index()
    line, = ax.plot(g[x], g["mean"], **kw)
    ax.fill_between(g[x], g["min"], g["max"], color=line.get_color(), alpha=0.2, lw=0)


def final_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The last logged step of every run (per objective)."""
    return df[df.step == df.groupby("objective").step.transform("max")]


def signal_columns(df: pd.DataFrame) -> list[str]:
    """align_mu1, align_mu2, … present in a table."""
    return sorted(c for c in df.columns if c.startswith("align_mu"))


def side_by_side(maps: pd.DataFrame) -> np.ndarray:
    """One image's [signal | noise] patches as an (h, 2w) array, from its rows of the maps table."""
    parts = []
    for patch in ("signal", "noise"):
        sub = maps[maps.patch == patch]
        h, w = sub.row.max() + 1, sub.col.max() + 1
        img = np.zeros((h, w))
        img[sub.row.to_numpy(), sub.col.to_numpy()] = sub.value.to_numpy()
        parts.append(img)
    return np.concatenate(parts, axis=1)
