"""The last line of a run: the verdict counts of its claims (read with pyarrow alone)."""

from __future__ import annotations

import os


def summary(results: str, cfg: dict) -> list[str]:
    """``["claims: 14 supported, 3 refuted, 5 inconclusive"]`` when this run decides claims
    and the merged table exists, else nothing."""
    path = os.path.join(results, "claims.parquet")
    if not cfg.get("claims", {}).get("enabled") or not os.path.exists(path):
        return []
    import pyarrow.parquet as pq

    from ..core.claims import counts_text

    verdicts = pq.read_table(path, columns=["verdict"]).column("verdict").to_pylist()
    return [f"claims: {counts_text(verdicts)} (results in {path}; the Claims page is "
            "claims.html)"]
