"""Atomic writes for every artefact the pipeline produces (Parquet, numpy, torch, text).

A file is written beside its target under a temporary name (``.<name>.<random>.part``) and
renamed into place, so a killed job never leaves a truncated file that looks complete.
Temporary files that a SIGKILL left behind are removed when the next writer of the same
target starts. The finished file has the mode any other tool would give it (0666 less the
umask, so 0644 under umask 022), not the 0600 of a temporary file.

Every Parquet table gets a sidecar ``<table>.sha256`` in ``sha256sum`` format (``sha256sum -c``
checks it by hand), written after the table, with comment lines naming the Snakemake rule
that wrote it, a digest of the job's params and its code hash when a workflow job did. The workflow checks the sidecars before any job starts
and rebuilds a table that fails its own (``easy2hard.pipeline.integrity``); a reader that
cannot parse a table names that rule and the command that rebuilds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd


def umask() -> int:
    """The process umask (read from /proc where possible, which changes nothing)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_stale_parts(path: str | Path) -> list[Path]:
    """Remove the temporary files of earlier, killed writes of ``path``; return them."""
    path = Path(path)
    stale = [p for p in path.parent.glob(f".{path.name}.*.part") if p.is_file()]
    for p in stale:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()
    return stale


@contextlib.contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_parts(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_bytes(data: bytes, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(text: str, path: str | Path) -> None:
    write_bytes(text.encode("utf-8"), path)


def link_or_copy(source: str | Path, target: str | Path, move: bool = False) -> None:
    """Hard-link (or move) ``source`` to ``target``; copy when the two are on different
    filesystems or links are refused (EXDEV, EPERM), through a temporary name."""
    try:
        (os.replace if move else os.link)(source, target)
    except OSError:
        with atomic_path(target) as tmp:
            shutil.copy2(source, tmp)


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


SIDECAR = ".sha256"


def sidecar_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + SIDECAR)


def _running_job():
    """The Snakemake job this process runs (its ``script:`` defines ``snakemake`` in
    ``__main__``), else None."""
    return getattr(sys.modules.get("__main__"), "snakemake", None)


def _running_rule() -> str | None:
    rule = getattr(_running_job(), "rule", None)
    return rule if isinstance(rule, str) else None


def _canonical(value):
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    return value


def params_digest(params) -> str:
    """16 hex digits of a job's params (name -> value pairs; a Snakemake ``Params`` gives
    them by ``items()``) less its ``code`` hash, as canonical JSON."""
    items = dict(params.items() if hasattr(params, "items") else params)
    items.pop("code", None)
    text = json.dumps(_canonical(items), sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _provenance_lines() -> str:
    """The sidecar's comment lines: the running job's rule, params digest and code hash."""
    job = _running_job()
    rule = _running_rule()
    if rule is None:
        return ""
    params = getattr(job, "params", None)
    lines = f"# rule: {rule}\n"
    if params is not None and hasattr(params, "items"):
        lines += f"# params: {params_digest(params)}\n"
        lines += f"# code: {dict(params.items()).get('code', '')}\n"
    return lines


def write_sidecar(path: str | Path, digest: str | None = None) -> None:
    """Write ``<path>.sha256``: the file's SHA-256 and name, then, from a workflow job, the
    lines ``# rule:``, ``# params:`` (:func:`params_digest`) and ``# code:`` (the job's code
    hash), which let the workflow find a table made with other params or code."""
    path = Path(path)
    digest = digest or sha256(path)
    write_text(f"{digest}  {path.name}\n" + _provenance_lines(), sidecar_path(path))


def _sidecar_lines(path: str | Path) -> list[str]:
    try:
        return sidecar_path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def sidecar_field(path: str | Path, name: str) -> str | None:
    """The value of the ``# <name>: `` line of ``path``'s sidecar, if any."""
    for line in _sidecar_lines(path):
        if line.startswith(f"# {name}: "):
            return line[len(f"# {name}: "):].strip() or None
    return None


def sidecar_rule(path: str | Path) -> str | None:
    """The rule named in ``path``'s sidecar, if any."""
    return sidecar_field(path, "rule")


def matches_sidecar(path: str | Path) -> bool | None:
    """True if ``path``'s bytes match its sidecar, False if not, None without a sidecar."""
    lines = [ln for ln in _sidecar_lines(path) if ln and not ln.startswith("#")]
    if not lines:
        return None if not sidecar_path(path).exists() else False
    return lines[0].split()[0] == sha256(path)


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    """Write ``df`` atomically, then its sidecar checksum."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)
        digest = sha256(tmp)
    write_sidecar(path, digest)


def rebuild_hint(path: str | Path) -> str:
    """Which rule made ``path`` and the one command that makes it again."""
    rule = sidecar_rule(path)
    made = f"it was made by rule {rule}" if rule else "it is an output of the workflow"
    return (f"{made}; rebuild it with: snakemake --cores 1 --forcerun {path} "
            f"(add the --configfile of your run, if any)")


def read_parquet(path: str | Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise ValueError(f"cannot read Parquet table {path}: {exc}; {rebuild_hint(path)}") from exc


def read_parquets(paths) -> pd.DataFrame:
    return pd.concat([read_parquet(p) for p in paths], ignore_index=True)


def write_npy(array: np.ndarray, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.save(fh, array, allow_pickle=False)


def read_npy(path: str | Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except Exception as exc:
        raise ValueError(f"cannot read array file {path}: {exc}") from exc


def _interned(obj):
    """``obj`` with every string interned: pickle shares equal strings only when they are
    one object, so a state rebuilt from a loaded one (a resume) would pickle differently."""
    if isinstance(obj, str):
        return sys.intern(obj)
    if isinstance(obj, dict):
        return {_interned(k): _interned(v) for k, v in obj.items()}
    if type(obj) in (list, tuple):  # not named tuples
        return type(obj)(_interned(v) for v in obj)
    return obj


def save_torch(obj, path: str | Path) -> str:
    """``torch.save`` through an in-memory buffer: the archive then has no file name in it,
    so the same content gives the same bytes (a temporary file's name would differ, and so
    would strings that are equal but not one object). Returns the SHA-256 of the bytes."""
    import torch

    buffer = io.BytesIO()
    torch.save(_interned(obj), buffer)
    data = buffer.getvalue()
    write_bytes(data, path)
    return hashlib.sha256(data).hexdigest()


def load_torch(path: str | Path, map_location="cpu"):
    import torch

    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise ValueError(f"cannot read checkpoint {path}: {exc}") from exc
