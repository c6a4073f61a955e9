"""Shared figure conventions: one style, and atomic PDF + PNG output."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

from ..core.tables import atomic_path  # noqa: E402


def style() -> None:
    sns.set_theme(context="paper", style="whitegrid", font_scale=1.1)


def theory_axes(df, palette: str = "tab10"):
    """The axes of the theory figures: sorted t, the activations and latents in table order,
    and a colour per activation."""
    ts = sorted(df["t"].unique())
    acts = list(dict.fromkeys(df["activation"]))
    latents = list(dict.fromkeys(df["latent"]))
    return ts, acts, latents, dict(zip(acts, sns.color_palette(palette, len(acts))))


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
