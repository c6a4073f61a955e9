"""A dataset from a folder of the user's own images (config ``datasets.<name>.kind: folder``).

The folder is searched recursively for files whose extension (any case) is in
``extensions``; they are read in sorted order of their path relative to the folder. Each
image is opened with Pillow and made RGB (``convert("RGB")``: palette, alpha and gray
images included), then

- ``crop: center`` cuts the centred square of side min(width, height), ``crop: none`` keeps
  the whole image (every image must then have the same size);
- it is resized to ``size`` × ``size`` with the Pillow ``filter`` (antialiased);
- ``color: luma`` makes it gray with PIL's ``convert("L")`` weights (ITU-R 601-2, bit-exact,
  :func:`easy2hard.images.datasets.luma`), ``color: rgb`` keeps the three channels;
- its 8-bit values are mapped linearly from [0, 255] to ``range``.

Exact duplicates (equal 8-bit arrays after this preprocessing, so equal files too) are
removed before the split, keeping the first in path order: no image is in two splits, and
the number removed is recorded. The unique images are then shuffled with ``split.seed``
and cut in proportion to ``split.weights`` (largest remainder, each split >= 1 image).

:func:`scan` reads every file once, before any job (at planning): its sha256, its size,
and whether Pillow can decode it. :func:`problems` turns what it found into one line per
problem naming the config key and the file; :func:`fingerprint` is one hash of the list
of (path, sha256), a param of the dataset's job, so adding, removing or changing an image
reruns exactly the dataset and what reads it.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .datasets import SPLITS, _split_sizes, luma

log = logging.getLogger(__name__)

FILTERS = ("nearest", "box", "bilinear", "hamming", "bicubic", "lanczos")


@dataclass(frozen=True)
class Source:
    """One image file: its path relative to the folder, sha256, size, and why it cannot
    be decoded (empty when it can)."""

    path: str
    sha256: str
    width: int = 0
    height: int = 0
    error: str = ""


def is_folder(spec: dict) -> bool:
    return spec.get("kind") == "folder"


def image_files(root: Path, extensions) -> list[Path]:
    """Files under ``root`` (recursive) with one of ``extensions`` (any case), sorted."""
    exts = {e.lower() for e in extensions}
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in exts)


def _read(path: Path, root: Path) -> Source:
    from PIL import Image

    data = path.read_bytes()
    rel, digest = path.relative_to(root).as_posix(), hashlib.sha256(data).hexdigest()
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            return Source(rel, digest, *im.size)
    except Exception as exc:  # Pillow raises many types for a bad file
        return Source(rel, digest, error=f"{type(exc).__name__}: {exc}")


@lru_cache(maxsize=16)
def _scan(root: str, extensions: tuple, stamp: tuple) -> tuple[Source, ...]:
    base = Path(root)
    return tuple(_read(p, base) for p in image_files(base, extensions))


def _stamp(root: Path, extensions) -> tuple:
    """(path, size, mtime) of every image file: a changed file changes the stamp."""
    return tuple((str(p), s.st_size, s.st_mtime_ns)
                 for p in image_files(root, extensions) for s in [p.stat()])


def scan(spec: dict) -> tuple[Source, ...]:
    """Every image file of the folder, read once per state of the folder (in-process cache)."""
    root = Path(spec["path"])
    if not root.is_dir():
        return ()
    exts = tuple(spec["extensions"])
    return _scan(str(root.resolve()), exts, _stamp(root, exts))


def fingerprint(sources) -> str:
    """One sha256 of the (path, sha256) list of the images."""
    h = hashlib.sha256()
    for s in sources:
        h.update(f"{s.path}\0{s.sha256}\n".encode())
    return h.hexdigest()


def problems(name: str, spec: dict) -> list[str]:
    """Why the folder of dataset ``name`` cannot be built: each line names the key and file."""
    key, root = f"datasets.{name}", Path(spec["path"])
    if not root.is_dir():
        return [f"config key '{key}.path': {root} is not a folder; allowed: a folder of "
                f"images ({', '.join(spec['extensions'])})"]
    sources = scan(spec)
    if not sources:
        return [f"config key '{key}.path': folder {root} holds no image file "
                f"({', '.join(spec['extensions'])}); allowed: a folder with at least 3 images"]
    bad = [s for s in sources if s.error]
    out = []
    if bad and spec["corrupt"] == "error":
        out.append(f"config key '{key}.path': {len(bad)} image(s) in {root} cannot be read: "
                   + "; ".join(f"{s.path} ({s.error})" for s in bad)
                   + f"; allowed: delete them, or set {key}.corrupt: skip")
    good = [s for s in sources if not s.error]
    sizes = {(s.width, s.height) for s in good}
    if spec["crop"] == "none" and len(sizes) > 1:
        first = next(s for s in good if (s.width, s.height) != (good[0].width, good[0].height))
        out.append(f"config key '{key}.crop': none needs images of one size, but {root}/"
                   f"{good[0].path} is {good[0].width}x{good[0].height} and {root}/{first.path} "
                   f"is {first.width}x{first.height}; allowed: crop: center")
    if len(good) < len(SPLITS):
        out.append(f"config key '{key}.path': folder {root} holds {len(good)} readable "
                   f"image(s); allowed: at least {len(SPLITS)} (one per split)")
    return out


def preprocess(data: bytes, spec: dict) -> np.ndarray:
    """One image file's bytes → uint8 (H, W) (luma) or (H, W, 3) (rgb), as the module says."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im = im.convert("RGB")
        w, h = im.size
        if spec["crop"] == "center":
            side = min(w, h)
            left, top = (w - side) // 2, (h - side) // 2
            im = im.crop((left, top, left + side, top + side))
        size = spec["size"]
        im = im.resize((size, size), Image.Resampling[spec["filter"].upper()])
        rgb = np.asarray(im, dtype=np.uint8)
    return luma(rgb) if spec["color"] == "luma" else rgb


def to_float(images: np.ndarray, value_range) -> np.ndarray:
    """uint8 (n, H, W) or (n, H, W, 3) → float32 (n, C, H, W), [0, 255] mapped to [lo, hi]."""
    lo, hi = map(float, value_range)
    x = images.astype(np.float32) / np.float32(255.0)
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    return np.ascontiguousarray(np.float32(lo) + np.float32(hi - lo) * x, dtype=np.float32)


def unique(images: list[np.ndarray]) -> tuple[list[int], list[int]]:
    """Indices of the first of each distinct image, and of the exact duplicates dropped."""
    seen, keep, dropped = set(), [], []
    for i, img in enumerate(images):
        key = hashlib.sha256(img.tobytes()).digest()
        (dropped if key in seen else keep).append(i)
        seen.add(key)
    return keep, dropped


def build(spec: dict) -> tuple[dict, dict]:
    """The splits ({split: float32 (n, C, H, W)}) and, per split, the manifest's extra
    columns: its source files and their sha256, the duplicates and unreadable files dropped."""
    root = Path(spec["path"])
    sources = [s for s in scan(spec) if not s.error]
    if spec.get("fingerprint") and fingerprint(scan(spec)) != spec["fingerprint"]:
        raise RuntimeError(f"folder {root} changed after the workflow was planned; run "
                           f"snakemake again")
    skipped = [s.path for s in scan(spec) if s.error]
    for path in skipped:
        log.warning("skipped unreadable image %s/%s", root, path)
    images = [preprocess((root / s.path).read_bytes(), spec) for s in sources]
    keep, dropped = unique(images)
    log.info("%s: %d images, %d exact duplicates removed (%s), %d unreadable skipped",
             root, len(images), len(dropped), ", ".join(sources[i].path for i in dropped),
             len(skipped))
    order = np.asarray(keep)[np.random.default_rng(spec["split"]["seed"]).permutation(len(keep))]
    sizes = _split_sizes(len(order), [spec["split"]["weights"][s] for s in SPLITS])
    bounds = np.cumsum([0, *sizes])
    splits, extra = {}, {}
    for i, split in enumerate(SPLITS):
        mine = np.sort(order[bounds[i]:bounds[i + 1]])
        splits[split] = to_float(np.stack([images[j] for j in mine]), spec["range"])
        extra[split] = {"source_files": [sources[j].path for j in mine],
                        "source_sha256": [sources[j].sha256 for j in mine],
                        "duplicates_removed": len(dropped), "unreadable_skipped": len(skipped)}
    return splits, extra
