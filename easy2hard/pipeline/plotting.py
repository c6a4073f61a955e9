"""Shared figure conventions: one style, and atomic PDF + PNG output."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import cycler  # noqa: E402

from ..core.tables import atomic_path  # noqa: E402


#: seaborn's "paper" context, "whitegrid" style and font scale 1.1, written out (importing
#: seaborn costs each figure job about a second); the colour cycle is seaborn's "deep"
STYLE = {
    "axes.axisbelow": True, "axes.edgecolor": ".8", "axes.grid": True, "axes.labelcolor": ".15",
    "axes.labelsize": 10.56, "axes.linewidth": 1.0, "axes.titlesize": 10.56,
    "axes.prop_cycle": cycler(color=[
        "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3",
        "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd"]),
    "font.sans-serif": ["Arial", "DejaVu Sans", "Liberation Sans", "Bitstream Vera Sans",
                        "sans-serif"],
    "font.size": 10.56, "grid.color": ".8", "image.cmap": "magma",
    "legend.fontsize": 9.68, "legend.title_fontsize": 10.56,
    "lines.linewidth": 1.2, "lines.markersize": 4.8, "lines.solid_capstyle": "round",
    "patch.edgecolor": "w", "patch.force_edgecolor": True, "patch.linewidth": 0.8,
    "text.color": ".15",
    "xtick.bottom": False, "xtick.color": ".15", "xtick.labelsize": 9.68,
    "xtick.major.size": 4.8, "xtick.major.width": 1.0, "xtick.minor.size": 3.2,
    "xtick.minor.width": 0.8,
    "ytick.left": False, "ytick.color": ".15", "ytick.labelsize": 9.68,
    "ytick.major.size": 4.8, "ytick.major.width": 1.0, "ytick.minor.size": 3.2,
    "ytick.minor.width": 0.8,
}


def style() -> None:
    """The one figure style (see ``STYLE``)."""
    matplotlib.rcParams.update(STYLE)


#: PDF metadata without a creation date: the same figure gives the same bytes
PDF_METADATA = {"CreationDate": None}


def save_figure(fig, pdf: str, png: str, dpi: int = 150) -> None:
    """Write ``fig`` as PDF and PNG, each atomically, then close it. Both are byte for byte
    reproducible: the PDF carries no creation date, the PNG no time stamp."""
    with atomic_path(pdf) as tmp:
        fig.savefig(tmp, format="pdf", bbox_inches="tight", metadata=PDF_METADATA)
    with atomic_path(png) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)


def log_drawn(log, drawn: dict) -> None:
    """Log each table a drawing function returned: its size and its first rows."""
    for key, table in drawn.items():
        log.info("drew %s: %d rows\n%s", key, len(table), table.head(20).to_string())
