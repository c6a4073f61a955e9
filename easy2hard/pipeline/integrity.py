"""Checks the workflow runs before any job starts, so that a fault is no dead end.

- :func:`corrupt_tables` / :func:`remove_corrupt_tables`: every Parquet table written by
  ``easy2hard.core.tables.write_parquet`` has a sidecar ``<table>.sha256`` (``sha256sum``
  format); a table whose bytes no longer match it is removed, with one line naming it and
  the rule that made it, so that Snakemake rebuilds it (and what reads it) in this run.
  Only files a rule of this workflow can make (:func:`output_files`) are judged.
- :func:`unwritable` / :func:`unwritable_folders`: every output root (and its folders), and
  every folder a job may write into (:func:`output_folders`), can be written, one line per
  folder that cannot, before hours of work end in a failed rename.
- :func:`size_warnings`: a dataset above :data:`DATASET_WARN_BYTES` is named before any job.
- :func:`keep_figures` / :func:`restore_figures`: Snakemake deletes a job's old outputs
  before it runs it, so a failed figure job would leave no figure where a good one was; the
  figures present at the start are kept as hard links (copies across filesystems) under
  ``<results>/.kept/<run id>/`` (:func:`kept_dir`) and put back after a failed run.
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


def _made_by_a_rule(path: str, outputs) -> bool:
    """Whether ``path`` (or a folder above it: a ``directory()`` output) matches one of the
    rules' output regular expressions ``outputs``."""
    while path and path not in (os.sep, "."):
        if any(o.match(path) for o in outputs):
            return True
        path = os.path.dirname(path)
    return False


def output_files(root: str, outputs) -> list[str]:
    """Every file under ``root`` that a rule of the workflow can make: its path (as the rules
    write it, ``f"{root}/..."``) matches an output pattern of ``outputs`` (compiled regular
    expressions, e.g. ``[o.regex() for r in workflow.rules for o in r.output]``). Nothing else
    under ``root`` is ever judged or removed."""
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel = os.path.relpath(folder, root)
        prefix = root if rel == "." else f"{root}/{Path(rel).as_posix()}"
        out += [f"{prefix}/{f}" for f in sorted(files) if _made_by_a_rule(f"{prefix}/{f}", outputs)]
    return out


def corrupt_tables(root: str | Path, outputs) -> list[tuple[Path, str | None]]:
    """(table, rule that made it, or None if its sidecar names none) for every table under ``root`` that a rule can make
    (:func:`output_files`) whose sidecar checksum does not match its bytes (tables without a
    sidecar are not judged)."""
    from easy2hard.core import tables as io

    out = []
    for name in output_files(str(root), outputs):
        table = Path(name)
        if (name.endswith(".parquet") and io.sidecar_path(table).is_file()
                and not io.matches_sidecar(table)):
            out.append((table, io.sidecar_rule(table)))
    return out


def remove_corrupt_tables(root: str | Path, outputs, dry_run: bool = False) -> list[str]:
    """Remove every corrupt table under ``root`` that a rule can make (and its sidecar); one
    line per table. A dry run removes nothing and says so."""
    lines = []
    for table, rule in corrupt_tables(root, outputs):
        made = f" (made by rule {rule})" if rule else ""
        what = f"{table}: its bytes do not match its checksum {table.name}{SIDECAR}{made}"
        if dry_run:
            lines.append(f"{what}: a real run removes it and makes it again (dry run: nothing removed)")
            continue
        for path in (table, table.with_name(table.name + SIDECAR)):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        lines.append(f"{what}: removed, so this run makes it again")
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


def _unwritable_line(folder: Path, reason: str) -> str:
    return (f"output folder {folder} is not writable by this user ({reason}); allowed: a "
            f"folder this user can write (change its permissions or owner, or run in another "
            f"directory)")


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
                out.append(_unwritable_line(folder, reason))
                break
    return out


def output_folders(root: str, outputs, targets) -> list[Path]:
    """The folders a run may write into, at any depth: that of every file under ``root`` a
    rule can make (:func:`output_files`; rebuilding it writes there), and for each target
    the nearest existing path on its way (where its folders would be created)."""
    folders = {Path(f).parent for f in output_files(root, outputs)}
    folders |= {_nearest_existing(Path(t).parent) for t in targets}
    return sorted(folders)


def unwritable_folders(folders) -> list[str]:
    """One line for each of ``folders`` in which this user cannot create a file."""
    out = []
    for folder in folders:
        reason = _writable(folder) if folder.is_dir() else "not a folder"
        if reason:
            out.append(_unwritable_line(folder, reason))
    return out


# Above this many bytes of arrays, a dataset build prints a warning before any job (its jobs,
# and every job that loads it, need that much disk and memory). docs/reliability.md states it.
DATASET_WARN_BYTES = 10**9
CIFAR10_IMAGES, CELEBA_IMAGES = 60_000, 202_599


def dataset_bytes(cfg: dict) -> dict[str, tuple[int, int]]:
    """(images, bytes of float32 arrays) of every dataset in ``datasets.build``."""
    ds = cfg["datasets"]
    out = {}
    for name in ds["build"]:
        spec = ds[name]
        if name == "natural_patches":
            n = sum(spec["counts"].values())
        elif name == "cifar10":
            n = CIFAR10_IMAGES
        else:
            n = min(CELEBA_IMAGES, 3 * (spec.get("max_per_split") or CELEBA_IMAGES))
        out[name] = (n, n * spec["size"] ** 2 * 4)
    return out


def size_warnings(cfg: dict, limit: int = DATASET_WARN_BYTES) -> list[str]:
    """One warning per dataset whose arrays would take more than ``limit`` bytes."""
    return [f"warning: dataset {name} writes about {size / 1e9:.1f} GB of float32 arrays "
            f"({n} images of {cfg['datasets'][name]['size']}x{cfg['datasets'][name]['size']}), "
            f"above {limit / 1e9:.1f} GB (easy2hard.pipeline.integrity.DATASET_WARN_BYTES): "
            f"its build and every job that loads it need that much disk and memory"
            for name, (n, size) in dataset_bytes(cfg).items() if size > limit]


#: snakemake options that read the workflow and run no job (reports, listings, graphs, the
#: linter, unlocking): such a command changes no file of the results root either
READ_ONLY_OPTIONS = frozenset({
    "--report", "--lint", "--list-rules", "--list", "-l", "--list-target-rules", "--lt",
    "--summary", "-S", "--detailed-summary", "-D", "--dag", "--rulegraph", "--filegraph",
    "--d3dag", "--list-changes", "--lc", "--list-input-changes", "--li",
    "--list-params-changes", "--lp", "--list-code-changes", "--unlock", "--cleanup-metadata",
    "--cleanup-shadow", "--archive", "--containerize", "--generate-unit-tests", "--version",
    "-v", "--help", "-h", "--conda-create-envs-only", "--print-compilation", "--export-cwl",
})


def dry_run(argv: list[str]) -> bool:
    """Whether a snakemake command line runs no job, so must change no file: a dry run
    (``-n``, ``-np``, ``--dry-run``) or a read-only option (``READ_ONLY_OPTIONS``: ``--report``,
    ``--lint``, ``--list-rules``, ...). Snakemake itself decides only after reading the
    workflow."""
    return any(a in ("--dry-run", "--dryrun", "--just-print")
               or a.split("=", 1)[0] in READ_ONLY_OPTIONS
               or (re.fullmatch(r"-[A-Za-z]+", a) is not None and "n" in a) for a in argv[1:])


def kept_dir(results: str | Path, run_id: str) -> Path:
    """Where one run keeps its figures: under its own results root and its own run id, so
    that no other config's or run's keeping or putting back touches them."""
    return Path(results) / ".kept" / run_id


def _place(source: Path, target: Path, move: bool) -> None:
    """Hard-link (or move) ``source`` to ``target``, a copy where links are refused
    (``easy2hard.core.tables.link_or_copy``, imported here: see SIDECAR above)."""
    from ..core.tables import link_or_copy

    link_or_copy(source, target, move=move)


def keep_figures(figures: str | Path, keep: str | Path) -> int:
    """Hard-link every file of ``figures`` into ``keep`` (emptied first; a copy where a link
    is not possible); return the count. Figures are replaced by rename, so the links keep
    the old bytes at no cost."""
    figures, keep = Path(figures), Path(keep)
    shutil.rmtree(keep, ignore_errors=True)
    if not figures.is_dir():
        return 0
    keep.mkdir(parents=True, exist_ok=True)
    n = 0
    for path in figures.iterdir():
        if path.is_file() and not path.name.startswith("."):
            _place(path, keep / path.name, move=False)
            n += 1
    return n


def restore_figures(figures: str | Path, keep: str | Path) -> list[Path]:
    """Put back every figure kept in ``keep`` (this run's) that is missing now (a failed
    job's); return them. Then remove ``keep``."""
    figures, keep = Path(figures), Path(keep)
    restored = []
    if keep.is_dir():
        for path in sorted(keep.iterdir()):
            target = figures / path.name
            if not target.exists():
                figures.mkdir(parents=True, exist_ok=True)
                _place(path, target, move=True)
                restored.append(target)
    discard_kept(keep)
    return restored


def discard_kept(keep: str | Path) -> None:
    """Remove one run's kept figures (and ``.kept/`` once no run keeps any)."""
    keep = Path(keep)
    shutil.rmtree(keep, ignore_errors=True)
    with contextlib.suppress(OSError):
        keep.parent.rmdir()
