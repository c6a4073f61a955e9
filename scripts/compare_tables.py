#!/usr/bin/env python
"""Compare every Parquet table of two results/ trees, row by row.

Used to show that a refactor leaves the results unchanged:

    python scripts/compare_tables.py OLD/results NEW/results \
        --move mcm/{sweep}/N{N}_m{m}_L{L}=networks/{sweep}/N{N}_m{m}_L{L} \
        --rename-column loss_mean_clone=loss_mean_iso_clone --sort \
        --new-column chance_overlap

Each table of OLD is matched to NEW by its relative path (after --move rules), columns are
renamed (--rename-column old=new) and values renamed (--rename-value old=new, applied to
string columns), then the two frames must have the same columns, the same number of rows in
the same order, and equal values (exactly, or within --rtol for floats). With --sort, both
frames are first sorted by their non-float columns (for tables whose row order follows the
order of a config mapping, which the validated config now sorts). Prints one line per table
and exits 1 if any table differs or is missing.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def pairs(spec: list[str]) -> dict[str, str]:
    out = {}
    for item in spec:
        old, sep, new = item.partition("=")
        if not sep:
            raise SystemExit(f"expected old=new, got {item!r}")
        out[old] = new
    return out


def move_rule(pattern: str):
    """'a/{x}/b{y}=c/{x}/d{y}' -> function mapping relative paths (without .parquet)."""
    src, _, dst = pattern.partition("=")
    regex = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+?)", re.escape(src)) + "$"

    def apply(rel: str) -> str | None:
        m = re.match(regex, rel)
        return dst.format(**m.groupdict()) if m else None

    return apply


def normalise(df: pd.DataFrame, columns: dict, values: dict) -> pd.DataFrame:
    df = df.rename(columns=columns)
    for col in df.columns:
        if df[col].dtype == object or pd.api.types.is_string_dtype(df[col]):
            df[col] = df[col].replace(values)
    return df


def sort_rows(df: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in df.columns if not pd.api.types.is_float_dtype(df[c])]
    as_text = df[keys].astype(str)
    order = as_text.sort_values(keys, kind="stable").index if keys else df.index
    return df.loc[order].reset_index(drop=True)


def difference(old: pd.DataFrame, new: pd.DataFrame, rtol: float) -> str | None:
    """None if equal, else a short description of the first difference."""
    if list(old.columns) != list(new.columns):
        return f"columns differ: {sorted(set(old.columns) ^ set(new.columns))} " \
               f"(or their order)"
    if len(old) != len(new):
        return f"{len(old)} rows against {len(new)}"
    for col in old.columns:
        a, b = old[col].to_numpy(), new[col].to_numpy()
        if np.issubdtype(a.dtype, np.floating) and np.issubdtype(b.dtype, np.floating):
            same = np.isclose(a, b, rtol=rtol, atol=0, equal_nan=True) | (a == b)
        else:
            same = (pd.Series(a).astype(str) == pd.Series(b).astype(str)).to_numpy()
        if not same.all():
            i = int(np.argmin(same))
            return f"column {col!r}: {(~same).sum()} rows differ, first at row {i}: " \
                   f"{a[i]!r} against {b[i]!r}"
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--move", action="append", default=[], help="old/{x}=new/{x} path rule")
    ap.add_argument("--rename-column", action="append", default=[])
    ap.add_argument("--rename-value", action="append", default=[])
    ap.add_argument("--rtol", type=float, default=0.0, help="relative tolerance for floats")
    ap.add_argument("--sort", action="store_true", help="sort rows by non-float columns first")
    ap.add_argument("--new-column", action="append", default=[],
                    help="a column NEW adds by design: dropped from NEW before comparing")
    args = ap.parse_args(argv)
    moves = [move_rule(m) for m in args.move]
    columns, values = pairs(args.rename_column), pairs(args.rename_value)
    bad = 0
    for path in sorted(args.old.rglob("*.parquet")):
        rel = str(path.relative_to(args.old))[: -len(".parquet")]
        target = next((m(rel) for m in moves if m(rel)), rel)
        other = args.new / f"{target}.parquet"
        if not other.exists():
            print(f"MISSING  {rel} -> {target}")
            bad += 1
            continue
        old = normalise(pd.read_parquet(path), columns, values)
        new = pd.read_parquet(other)
        new = new.drop(columns=[c for c in args.new_column if c in new.columns])
        if args.sort:
            old, new = sort_rows(old), sort_rows(new)
        diff = difference(old, new, args.rtol)
        print(f"{'DIFFERS ' if diff else 'same    '} {rel}" + (f": {diff}" if diff else ""))
        bad += diff is not None
    print(f"{bad} table(s) differ or are missing")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
