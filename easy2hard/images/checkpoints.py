"""Published U-Net checkpoints and their checksum manifests (torch-free).

Training saves each seed's resume states in ``seed{s}/resume/`` with each state's SHA-256
beside it (``<state>.sha256``). The training job of a run then writes the run's manifest
``SHA256SUMS`` (``sha256sum -c`` format, paths relative to the run's folder) listing every
seed's checkpoint states, last. Each seed's checkpoints are published from it as the
folder ``seed{s}/ckpt/``: hard links to the states (copies where links are impossible),
each checked against the run's manifest, and, written last, the folder's own
``SHA256SUMS``; the jobs that read a checkpoint verify it against that one first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ..core.tables import link_or_copy, sha256, write_text

#: the checksum manifest of a published checkpoint folder, and of a run's trained states
MANIFEST = "SHA256SUMS"


def state_path(state_dir, step: int) -> Path:
    return Path(state_dir) / f"step{step:07d}.pt"


def digest_path(path) -> Path:
    """The file that records the SHA-256 of the state ``path`` when it was saved."""
    return Path(f"{path}.sha256")


def recorded_digest(path) -> str:
    """The SHA-256 recorded when ``path`` was saved, else computed now."""
    recorded = digest_path(path)
    return recorded.read_text().split()[0] if recorded.is_file() else sha256(path)


def read_sums(manifest) -> dict[str, str]:
    """{file name or relative path: SHA-256} of a ``sha256sum`` manifest."""
    return {name: digest for digest, name in
            (line.split(None, 1) for line in Path(manifest).read_text().splitlines() if line)}


def write_manifest(folder, names, recorded_in) -> Path:
    """Write ``folder/SHA256SUMS`` for the files ``names``: the digests recorded in
    ``recorded_in`` when the states were saved, else computed from them now. Written last, so its
    presence means the folder is complete."""
    folder = Path(folder)
    write_text("".join(f"{recorded_digest(Path(recorded_in) / name)}  {name}\n" for name in sorted(names)),
               folder / MANIFEST)
    return folder / MANIFEST


def write_run_manifest(run_dir, state_dirs, steps: list[int]) -> Path:
    """Write ``run_dir/SHA256SUMS``: every seed's state at every checkpoint step, by its
    path relative to ``run_dir``, with its recorded digest."""
    root = Path(run_dir)
    lines = [f"{recorded_digest(state_path(d, s))}  {state_path(d, s).relative_to(root)}\n"
             for d in state_dirs for s in steps]
    write_text("".join(lines), root / MANIFEST)
    return root / MANIFEST


def publish(run_manifest, seed_folder: str, out) -> Path:
    """Publish the states of ``seed_folder`` (e.g. ``seed0``) listed in the run's manifest
    as the folder ``out``, each checked against the manifest; its SHA256SUMS last, and the
    folder assembled beside ``out`` and renamed into place."""
    run_manifest, out = Path(run_manifest), Path(out)
    fix = f"Delete {run_manifest} and run snakemake again: training resumes from the newest intact resume state."
    listed = {rel: d for rel, d in read_sums(run_manifest).items() if rel.startswith(f"{seed_folder}/")}
    if not listed:
        raise ValueError(f"{run_manifest} lists no state of {seed_folder}. {fix}")
    tmp = out.with_name(out.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for rel, digest in listed.items():
        source, target = run_manifest.parent / rel, tmp / Path(rel).name
        if not source.is_file() or sha256(source) != digest:
            raise ValueError(f"resume state {source} is missing or does not match its checksum in "
                             f"{run_manifest}. {fix}")
        link_or_copy(source, target)
    write_text("".join(f"{d}  {Path(rel).name}\n" for rel, d in sorted(listed.items())), tmp / MANIFEST)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out


def verify_checkpoint(path) -> Path:
    """``path`` after checking it against the manifest of its folder; a ValueError that
    names the file and says how to recover otherwise."""
    path = Path(path)
    manifest = path.parent / MANIFEST
    run_manifest = path.parent.parent.parent / MANIFEST
    fix = (f"Delete {path.parent} and {run_manifest} and run snakemake again: training resumes "
           f"from the newest intact resume state.")
    if not manifest.is_file():
        raise ValueError(f"checkpoint folder {path.parent} has no {MANIFEST}: it is incomplete. {fix}")
    sums = read_sums(manifest)
    if path.name not in sums:
        raise ValueError(f"checkpoint {path} is not listed in {manifest}. {fix}")
    if not path.is_file() or sha256(path) != sums[path.name]:
        raise ValueError(f"checkpoint {path} does not match its checksum in {manifest}: "
                         f"the file is missing or corrupt. {fix}")
    return path
