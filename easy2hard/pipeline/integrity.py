"""Checks the workflow runs before any job starts, so that a fault is no dead end.

- :func:`corrupt_tables` / :func:`remove_corrupt_tables`: every Parquet table written by
  ``easy2hard.core.tables.write_parquet`` has a sidecar ``<table>.sha256`` (``sha256sum``
  format); a table whose bytes no longer match it is removed, with one line naming it and
  the rule that made it, so that Snakemake rebuilds it (and what reads it) in this run.
- :func:`unwritable`: every output root (and its folders) can be written, one line per
  folder that cannot, before hours of work end in a failed rename.
- :func:`keep_figures` / :func:`restore_figures`: Snakemake deletes a job's old outputs
  before it runs it, so a failed figure job would leave no figure where a good one was; the
  figures present at the start are kept as hard links and put back after a failed run.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from pathlib import Path

SIDECAR = ".sha256"  # as easy2hard.core.tables.SIDECAR (imported lazily: the writability check
#                      runs with the standard library alone, e.g. as another user)


def corrupt_tables(root: str | Path) -> list[tuple[Path, str]]:
    """(table, rule that made it) for every table under ``root`` whose sidecar checksum does
    not match its bytes (tables without a sidecar are not judged)."""
    from easy2hard.core import tables as io

    out = []
    root = Path(root)
    if not root.is_dir():
        return out
    for sidecar in sorted(root.rglob(f"*.parquet{SIDECAR}")):
        table = sidecar.with_name(sidecar.name[: -len(SIDECAR)])
        if table.is_file() and not io.matches_sidecar(table):
            out.append((table, io.sidecar_rule(table) or "the rule that makes it"))
    return out


def remove_corrupt_tables(root: str | Path) -> list[str]:
    """Remove every corrupt table under ``root`` (and its sidecar); one line per table."""
    lines = []
    for table, rule in corrupt_tables(root):
        for path in (table, table.with_name(table.name + SIDECAR)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        lines.append(f"{table}: its bytes do not match its checksum {table.name}{SIDECAR} "
                     f"(made by rule {rule}): removed, so this run makes it again")
    return lines


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _writable(folder: Path) -> str | None:
    """None if a file can be created in ``folder``, else the reason."""
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".e2h-write-check."):
            return None
    except OSError as exc:
        return exc.strerror or errno.errorcode.get(exc.errno, str(exc))


def unwritable(roots) -> list[str]:
    """One line for each output root (or existing folder directly under it) in which this
    user cannot create a file; a root that does not exist yet is judged by the nearest
    folder above it, where it would be created."""
    out = []
    for root in dict.fromkeys(Path(r) for r in roots):
        base = _nearest_existing(root)
        below = base == root.absolute() and base.is_dir()
        folders = [base] + (sorted(p for p in base.iterdir()
                                   if p.is_dir() and not p.name.startswith(".")) if below else [])
        for folder in folders:
            reason = _writable(folder) if folder.is_dir() else "not a folder"
            if reason:
                out.append(f"output folder {folder} is not writable by this user ({reason}); "
                           f"allowed: a folder this user can write (change its permissions or "
                           f"owner, or run in another directory)")
                break
    return out


def dry_run(argv: list[str]) -> bool:
    """Whether a snakemake command line asks for a dry run (``-n``, ``-np``, ``--dry-run``);
    Snakemake itself decides only after reading the workflow."""
    return any(a in ("--dry-run", "--dryrun", "--just-print")
               or (re.fullmatch(r"-[A-Za-z]+", a) is not None and "n" in a) for a in argv[1:])


def keep_figures(figures: str | Path, keep: str | Path) -> int:
    """Hard-link every file of ``figures`` into ``keep`` (emptied first); return the count.
    Figures are replaced by rename, so the links keep the old bytes at no cost."""
    figures, keep = Path(figures), Path(keep)
    shutil.rmtree(keep, ignore_errors=True)
    if not figures.is_dir():
        return 0
    keep.mkdir(parents=True, exist_ok=True)
    n = 0
    for path in figures.iterdir():
        if path.is_file() and not path.name.startswith("."):
            try:
                os.link(path, keep / path.name)
            except OSError:
                shutil.copy2(path, keep / path.name)
            n += 1
    return n


def restore_figures(figures: str | Path, keep: str | Path) -> list[Path]:
    """Put back every kept figure that is missing now (a failed job's); return them."""
    figures, keep = Path(figures), Path(keep)
    restored = []
    if keep.is_dir():
        for path in sorted(keep.iterdir()):
            target = figures / path.name
            if not target.exists():
                figures.mkdir(parents=True, exist_ok=True)
                os.replace(path, target)
                restored.append(target)
    shutil.rmtree(keep, ignore_errors=True)
    return restored
