"""One evaluation job of a trained run: every seed at a share of the checkpoints.

A job evaluates, for each seed of the run, each checkpoint of its share (``steps_ks``: step
-> the fixed k evaluated there, besides k uniform) with ``evaluation.evaluate``. Every seed
and checkpoint sees the same images, ε and k (common random numbers); only the train set
differs by seed (each seed's own training subset). One job for all seeds pays the torch
import and the loading of the sets once.

Each (seed, checkpoint) table is also kept in a cache folder outside the job's declared
output (Snakemake deletes that before a rerun), under a key made of the checkpoint file's
SHA-256, the images evaluated, the reference table, the evaluation settings and the code
hash of this module with its imports. A rerun job (a checkpoint added, another share) reads
the tables whose key is unchanged and evaluates only the others.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.tables import read_parquet, sha256, write_parquet
from .datasets import load_split
from .evaluation import evaluate
from .training import load_model, schedule, state_path, training_subset, verify_checkpoint

log = logging.getLogger(__name__)

#: the ``evaluation`` keys that change a checkpoint's table (the fixed k are keyed per step;
#: ``jobs``, ``sparse_checkpoints`` only say where and with which k it is evaluated)
EVALUATION_KEYS = ("n_images", "batch", "seed", "sets", "reference")


@dataclass(frozen=True)
class ShareJob:
    """What one evaluation job reads: per seed its checkpoint folder and reference table
    (None without reference denoisers), the set files, and the settings."""

    checkpoints: dict[int, str]
    references: dict[int, str | None]
    set_files: dict[str, str]
    steps_ks: dict[int, list[int]]
    spec: dict
    evaluation: dict
    cache_dir: str
    code: str = ""
    device: str = "cpu"


def seed_sets(set_files: dict[str, str], sets: list[str], train_subset: int, seed: int,
              loaded: dict | None = None) -> dict[str, np.ndarray]:
    """The evaluation sets of ``seed``, test first: train is the seed's own training subset.
    ``loaded`` caches the files across seeds."""
    loaded = {} if loaded is None else loaded
    out = {}
    for name in dict.fromkeys(["test", *sets]):
        if name not in loaded:
            loaded[name] = load_split(set_files[name])
        images = loaded[name]
        out[name] = images[training_subset(len(images), train_subset, seed)] if name == "train" else images
    return out


def images_digest(sets: dict[str, np.ndarray], n_images: int) -> str:
    """SHA-256 of the images an evaluation reads: each set's name and first ``n_images``."""
    digest = hashlib.sha256()
    for name, x in sets.items():
        part = np.ascontiguousarray(x[:n_images], dtype=np.float32)
        digest.update(f"{name} {part.shape}\n".encode())
        digest.update(part.reshape(-1).view(np.uint8))
    return digest.hexdigest()


def cache_key(parts: dict) -> str:
    """A short hex key of the JSON of ``parts`` (sorted keys)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:24]


def cached_table(folder: Path, step: int, key: str, compute) -> tuple[pd.DataFrame, bool]:
    """The table of ``step`` under ``key`` in ``folder``, or ``compute()`` written there
    (replacing the step's tables under other keys); and whether it came from the cache."""
    path = folder / f"step{step:07d}-{key}.parquet"
    if path.is_file():
        return read_parquet(path), True
    table = compute()
    for old in folder.glob(f"step{step:07d}-*"):
        old.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    write_parquet(table, path)
    return table, False


def evaluate_share(job: ShareJob) -> pd.DataFrame:
    """The loss tables of every seed at every checkpoint of ``job``, with columns seed and
    step (``evaluation.evaluate``'s rows), read from the cache where the key matches."""
    ev, loaded, tables = job.evaluation, {}, []
    for seed, folder in job.checkpoints.items():
        sets = seed_sets(job.set_files, ev["sets"], job.spec["train_subset"], seed, loaded)
        reference = job.references.get(seed)
        denoisers = read_parquet(reference) if reference else None
        inputs = {"images": images_digest(sets, ev["n_images"]), "code": job.code,
                  "reference": sha256(reference) if reference else None, "device": job.device,
                  "evaluation": {k: ev[k] for k in EVALUATION_KEYS},
                  "spec": job.spec}
        for step, ks in job.steps_ks.items():
            ckpt = verify_checkpoint(state_path(folder, step))  # SHA256SUMS
            key = cache_key({**inputs, "checkpoint": sha256(ckpt), "fixed_k": list(ks)})
            start = time.perf_counter()
            table, hit = cached_table(Path(job.cache_dir) / f"seed{seed}", step, key, lambda: evaluate(
                load_model(ckpt, job.spec, sets["test"].shape[1], job.device), sets, ev["n_images"],
                ks, schedule(job.spec), ev["seed"], batch=ev["batch"], device=job.device,
                denoisers=denoisers))
            log.info("seed %d step %d (k uniform and %s): %s in %.1f s", seed, step, ks,
                     "read from the cache" if hit else "evaluated", time.perf_counter() - start)
            tables.append(table.assign(seed=seed, step=step))
    out = pd.concat(tables, ignore_index=True)
    return out if "test" in ev["sets"] else out[out.set != "test"].reset_index(drop=True)
