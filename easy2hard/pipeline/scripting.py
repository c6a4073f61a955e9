"""Helpers for the thin scripts under workflow/scripts (the only code that sees snakemake)."""

from __future__ import annotations

import logging
import sys


def log_to(snakemake) -> logging.Logger:
    """Send stderr (warnings, tracebacks, tqdm bars) and a logger to the rule's log file."""
    if snakemake.log:
        sys.stderr = open(snakemake.log[0], "w", buffering=1)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(message)s", force=True)
    return logging.getLogger(snakemake.rule)


def pick_device(name: str = "auto"):
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("config device is 'cuda' but no CUDA device is available")
    return torch.device(name)
