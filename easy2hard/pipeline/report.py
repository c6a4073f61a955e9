"""Tables for the HTML report: a Parquet table rendered as one small, self-contained page."""

from __future__ import annotations

import html

import pandas as pd

STYLE = """<style>
body{font-family:sans-serif;font-size:13px;margin:8px}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#f0f0f0;position:sticky;top:0}caption{text-align:left;padding:4px 0}
</style>"""


def table_html(df: pd.DataFrame, title: str, source: str, max_rows: int) -> str:
    """An HTML page showing the first ``max_rows`` rows of ``df`` (all columns)."""
    shown = df.head(max_rows)
    note = (f"all {len(df)} rows" if len(df) <= max_rows
            else f"first {max_rows} of {len(df)} rows; the full table is {source}")
    body = shown.to_html(index=False, float_format=lambda x: f"{x:.6g}", border=0,
                         na_rep="", escape=True)
    caption = f"<p><b>{html.escape(title)}</b> ({html.escape(source)}): {html.escape(note)}</p>"
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'>{STYLE}</head>"
            f"<body>{caption}{body}</body></html>\n")
