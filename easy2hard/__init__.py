"""easy2hard: what diffusion models learn, and when (Bardone, Merger, Goldt, 2026)."""

__version__ = "0.1.0"
