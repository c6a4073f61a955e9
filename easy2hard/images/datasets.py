"""Grayscale image datasets for the DDPM experiments (docs/science.md §7), as float32 arrays.

Every builder returns ``{"train", "val", "test"}`` → float32 arrays of shape (n, 1, H, W)
with values in the configured range ``(lo, hi)``.

- ``natural_patches`` (offline default): random square patches cut from the photographs
  bundled with scikit-image. Each photograph is rescaled by ``scale`` so that a patch
  spans edges and textures, then tiled into blocks of twice the patch size; every block
  belongs to one split, so patches of different splits never share a pixel. Exact
  duplicate patches (flat regions) are drawn again until each split holds its count.
- ``cifar10``: torchvision's CIFAR10 loader (with its md5 checks), train and test merged
  (60 000 images) and split at random into thirds with the same indices as
  ``torch.utils.data.random_split(..., generator=torch.Generator().manual_seed(seed))``.
- ``celeba``: torchvision's CelebA loader (with its md5 checks) and its official
  train/valid/test partition; centre-cropped to a square, downscaled.

No image occurs twice within or across the splits (``build_reported``): ``natural_patches``
redraws duplicates, ``cifar10`` and ``celeba`` drop them; the manifest counts them.

Grayscale is PIL's ``convert("L")`` (ITU-R 601-2 luma, rounded to 8 bits), computed
bit-exactly, so the values equal torchvision's ``Grayscale()`` followed by ``ToTensor()``.

Downloads wait at most ``DOWNLOAD_TIMEOUT_S`` seconds for any answer from the server and
try ``DOWNLOAD_ATTEMPTS`` times, so a proxy that accepts and never answers fails the job
within minutes with a message naming the URL, the file, its md5 and where to put it.

``md5`` arguments replace torchvision's published checksums, file name by file name. They
exist only so the tests can check loaders on tiny stand-in files written in the exact
on-disk format; the integrity check itself still runs. The pipeline never passes them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import socket
import time
import urllib.request
from pathlib import Path

import numpy as np

from ..core.tables import atomic_path, sha256

SPLITS = ("train", "val", "test")
DATASETS = ("natural_patches", "cifar10", "celeba")
PHOTOGRAPHS = ("camera", "astronaut", "coffee", "chelsea", "rocket", "motorcycle",
               "grass", "gravel", "brick", "coins", "moon")
CELEBA_URL = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html"
#: seconds a download waits for the server (to connect, and for each read) before giving up
DOWNLOAD_TIMEOUT_S = 60
#: tries per download (a timeout or a dropped connection retries)
DOWNLOAD_ATTEMPTS = 3
#: seconds before retry i (times i)
DOWNLOAD_BACKOFF_S = 5.0

log = logging.getLogger(__name__)


class DatasetError(RuntimeError):
    """A dataset is missing, corrupt, or could not be downloaded."""


# ------------------------------------------------------------------------- conversions
def luma(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB (..., 3) → uint8 gray, bit-exact to PIL ``Image.convert("L")``."""
    rgb = np.asarray(rgb, dtype=np.uint32)
    y = rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 + 0x8000
    return (y >> 16).astype(np.uint8)


def resize(gray: np.ndarray, size: int) -> np.ndarray:
    """Resize uint8 images (n, h, w) to (n, size, size) with PIL bilinear (antialiased)."""
    from PIL import Image

    if gray.shape[1:] == (size, size):
        return gray
    return np.stack([np.asarray(Image.fromarray(g).resize((size, size), Image.BILINEAR))
                     for g in gray])


def to_range(gray_u8: np.ndarray, value_range) -> np.ndarray:
    """uint8 (n, H, W) → float32 (n, 1, H, W) mapped linearly from [0, 255] to [lo, hi]."""
    lo, hi = map(float, value_range)
    if not hi > lo:
        raise ValueError(f"value range must have lo < hi, got {list(value_range)}")
    x = gray_u8.astype(np.float32) / np.float32(255.0)
    return (np.float32(lo) + np.float32(hi - lo) * x)[:, None].astype(np.float32)


def thirds(n: int, seed: int) -> list[np.ndarray]:
    """Indices of a random split of range(n) into thirds (train, val, test).

    Same indices as ``random_split(range(n), lengths, torch.Generator().manual_seed(seed))``
    with lengths n//3 (+1 for the first n % 3 splits).
    """
    import torch

    base, rest = divmod(n, 3)
    lengths = [base + (i < rest) for i in range(3)]
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(int(seed))).numpy()
    bounds = np.cumsum([0, *lengths])
    return [np.sort(perm[bounds[i]:bounds[i + 1]]) for i in range(3)]


# ------------------------------------------------------------------- natural patches
def photograph(name: str) -> np.ndarray:
    """A photograph bundled with scikit-image, as uint8 grayscale (h, w)."""
    import skimage.data

    if name not in PHOTOGRAPHS:
        raise ValueError(f"unknown photograph {name!r}; allowed: {', '.join(PHOTOGRAPHS)}")
    img = skimage.data.stereo_motorcycle()[0] if name == "motorcycle" else getattr(skimage.data, name)()
    img = np.asarray(img)
    return luma(img[..., :3]) if img.ndim == 3 else img.astype(np.uint8)


def _split_sizes(total: int, weights) -> list[int]:
    """Split ``total`` items in proportion to ``weights`` (largest remainder), each >= 1."""
    w = np.asarray(weights, dtype=float)
    raw = total * w / w.sum()
    out = np.floor(raw).astype(int)
    out[np.argsort(raw - out)[::-1][: total - out.sum()]] += 1
    while (out < 1).any():  # steal from the largest
        out[np.argmin(out)] += 1
        out[np.argmax(out)] -= 1
    return out.tolist()


def patch_blocks(shapes, counts: dict, size: int, rng) -> dict:
    """Each split's blocks (image, y, x) of 2·size pixels in images of ``shapes``.

    The images are tiled into blocks; the blocks are shuffled and shared out among the
    splits in proportion to ``counts``.
    """
    block = 2 * size
    blocks = [(i, by * block, bx * block) for i, (h, w) in enumerate(shapes)
              for by in range(h // block) for bx in range(w // block)]
    if len(blocks) < len(SPLITS):
        raise ValueError(f"natural_patches: only {len(blocks)} blocks of {block}px in the "
                         f"photographs; raise scale or lower size")
    blocks = np.asarray(blocks)[rng.permutation(len(blocks))]
    sizes = _split_sizes(len(blocks), [counts[s] for s in SPLITS])
    bounds = np.cumsum([0, *sizes])
    return {split: blocks[bounds[i]:bounds[i + 1]] for i, split in enumerate(SPLITS)}


def draw_origins(blocks: np.ndarray, n: int, size: int, rng) -> np.ndarray:
    """Top-left corners (image, y, x) of ``n`` patches, each inside one of ``blocks``."""
    pick = blocks[rng.integers(len(blocks), size=n)]
    off = rng.integers(0, 2 * size - size + 1, size=(n, 2))
    return pick + np.concatenate([np.zeros((n, 1), int), off], axis=1)


def patch_origins(shapes, counts: dict, size: int, rng) -> dict:
    """Top-left corners (image, y, x) of each split's patches in images of ``shapes``: each
    patch lies inside one block of its own split (:func:`patch_blocks`), so patches of
    different splits never share a pixel."""
    blocks = patch_blocks(shapes, counts, size, rng)
    for split in SPLITS:
        log.info("natural_patches %s: %d patches from %d blocks", split, counts[split],
                 len(blocks[split]))
    return {split: draw_origins(blocks[split], counts[split], size, rng) for split in SPLITS}


#: rounds of redrawing a split's duplicates before giving up (each round draws one
#: replacement per duplicate)
MAX_REDRAW_ROUNDS = 100


def distinct_patches(images, blocks: np.ndarray, n: int, size: int, rng, seen: set,
                     split: str = "") -> tuple[np.ndarray, int]:
    """``n`` patches (n, size, size) of ``images`` cut inside ``blocks``, none equal to
    another or to a patch in ``seen`` (their bytes; updated), and how many draws were exact
    duplicates and drawn again."""
    out, redrawn = [], 0
    for _ in range(MAX_REDRAW_ROUNDS):
        for i, y, x in draw_origins(blocks, n - len(out), size, rng):
            patch = images[i][y:y + size, x:x + size]
            key = patch.tobytes()
            if key in seen:
                redrawn += 1
            else:
                seen.add(key)
                out.append(patch)
        if len(out) == n:
            return np.stack(out), redrawn
    raise ValueError(f"natural_patches {split}: only {len(out)} distinct patches of {n} after "
                     f"{MAX_REDRAW_ROUNDS} rounds of redrawing duplicates; lower counts.{split} "
                     f"or raise scale")


def natural_patches(counts: dict, size: int = 32, scale: float = 0.5,
                    photographs=PHOTOGRAPHS, value_range=(-1.0, 1.0), seed: int = 0,
                    report: dict | None = None) -> dict:
    """Random ``size``×``size`` patches of scikit-image photographs, one array per split.

    Each photograph is made gray and rescaled by ``scale`` (bilinear, antialiased), then
    cut inside the blocks of :func:`patch_blocks`. No patch equals another, within or across
    splits: an exact duplicate (of the 8-bit gray values) is drawn again until each split
    holds ``counts[split]`` distinct patches. ``report`` (a dict) receives, per split, the
    number of draws redrawn as duplicates.
    """
    from PIL import Image

    images = []
    for name in photographs:
        img = photograph(name)
        h, w = (max(1, round(s * scale)) for s in img.shape)
        images.append(np.asarray(Image.fromarray(img).resize((w, h), Image.BILINEAR)))
    rng = np.random.default_rng(seed)
    blocks = patch_blocks([im.shape for im in images], counts, size, rng)
    seen, out = set(), {}
    for split in SPLITS:
        patches, redrawn = distinct_patches(images, blocks[split], counts[split], size, rng,
                                            seen, split)
        log.info("natural_patches %s: %d distinct patches from %d blocks, %d duplicates "
                 "redrawn", split, counts[split], len(blocks[split]), redrawn)
        if report is not None:
            report[split] = {"duplicates_redrawn": redrawn}
        out[split] = to_range(patches, value_range)
    return out


# ------------------------------------------------------------------------ downloads
def _md5(path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(url: str, dest, md5: str | None, timeout: float, attempts: int,
          backoff: float) -> Path:
    """Download ``url`` to ``dest`` atomically and check its md5.

    Each attempt waits at most ``timeout`` seconds for the connection and for each read;
    a failed attempt (timeout, dropped connection, wrong md5) is retried after
    ``backoff`` × attempt seconds, at most ``attempts`` times in all. Then DatasetError.
    """
    dest = Path(dest)
    last = None
    for attempt in range(1, attempts + 1):
        try:
            request = urllib.request.Request(url, headers={"User-Agent": "easy2hard"})
            with urllib.request.urlopen(request, timeout=timeout) as response, \
                    atomic_path(dest) as tmp:
                with open(tmp, "wb") as fh:
                    shutil.copyfileobj(response, fh, 1 << 20)
                if md5 and _md5(tmp) != md5:
                    raise ValueError(f"md5 {_md5(tmp)} of the download is not {md5}")
            return dest
        except (OSError, ValueError) as exc:  # URLError and socket timeouts are OSErrors
            last = f"{type(exc).__name__}: {exc}"
            log.warning("download %s, attempt %d of %d failed: %s", url, attempt, attempts, last)
            if attempt < attempts:
                time.sleep(backoff * attempt)
    raise DatasetError(f"download of {url} failed {attempts} times, each waiting at most "
                       f"{timeout:g} s for the server (last: {last})")


@contextlib.contextmanager
def socket_timeout(seconds: float):
    """Sockets opened inside (without a timeout of their own) give up after ``seconds``."""
    before = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(before)


# ------------------------------------------------------------------------- CIFAR-10
def _cifar_class(md5: dict | None):
    from torchvision.datasets import CIFAR10

    if not md5:
        return CIFAR10
    sub = lambda lst: [[f, md5.get(f, h)] for f, h in lst]  # noqa: E731
    return type("CIFAR10Checked", (CIFAR10,), {
        "train_list": sub(CIFAR10.train_list), "test_list": sub(CIFAR10.test_list),
        "meta": {**CIFAR10.meta, "md5": md5.get(CIFAR10.meta["filename"], CIFAR10.meta["md5"])},
        "tgz_md5": md5.get(CIFAR10.filename, CIFAR10.tgz_md5)})


def _cifar_bad_files(cls, root: Path) -> list[str]:
    from torchvision.datasets.utils import check_integrity

    files = cls.train_list + cls.test_list + [[cls.meta["filename"], cls.meta["md5"]]]
    return [f for f, h in files if not check_integrity(root / cls.base_folder / f, h)]


def load_cifar10(root, download: bool = True, md5: dict | None = None) -> np.ndarray:
    """CIFAR-10 train then test (60 000 images) as uint8 RGB (n, 32, 32, 3).

    Files live in ``root/cifar-10-batches-py`` (from ``root/cifar-10-python.tar.gz``); they
    are downloaded only when they are missing or fail torchvision's md5 check.
    """
    from torchvision.datasets.utils import check_integrity, extract_archive

    cls, root = _cifar_class(md5), Path(root)
    bad = _cifar_bad_files(cls, root)
    if bad and download:
        archive = root / cls.filename
        try:
            if not check_integrity(archive, cls.tgz_md5):
                fetch(cls.url, archive, cls.tgz_md5, DOWNLOAD_TIMEOUT_S, DOWNLOAD_ATTEMPTS,
                      DOWNLOAD_BACKOFF_S)
            extract_archive(str(archive), str(root))
        except Exception as exc:  # network errors, md5 mismatch, truncated archive
            raise DatasetError(
                f"CIFAR-10: download of {cls.url} into {root}/ failed ({type(exc).__name__}: "
                f"{exc}). Rerun with network access, or place {cls.filename} (md5 "
                f"{cls.tgz_md5}) in {root}/ by hand.") from exc
        bad = _cifar_bad_files(cls, root)
    if bad:
        raise DatasetError(
            f"CIFAR-10: files missing or failing their md5 check in {root / cls.base_folder}: "
            f"{', '.join(bad)}. Delete them and rerun with download enabled, or place "
            f"{cls.filename} (md5 {cls.tgz_md5}) in {root}/.")
    parts = [cls(root, train=train, download=False).data for train in (True, False)]
    return np.concatenate(parts)


def cifar10(root, size: int = 32, value_range=(0.0, 1.0), split_seed: int = 42,
            download: bool = True, md5: dict | None = None) -> dict:
    """Grayscale CIFAR-10, train+test merged and split at random into thirds."""
    gray = resize(luma(load_cifar10(root, download=download, md5=md5)), size)
    idx = thirds(len(gray), split_seed)
    return {split: to_range(gray[i], value_range) for split, i in zip(SPLITS, idx)}


# --------------------------------------------------------------------------- CelebA
def _celeba_class(md5: dict | None):
    from torchvision.datasets import CelebA

    if not md5:
        return CelebA
    files = [(i, md5.get(f, h), f) for i, h, f in CelebA.file_list]
    return type("CelebAChecked", (CelebA,), {"file_list": files})


def _celeba_bad_files(cls, root: Path) -> list[str]:
    from torchvision.datasets.utils import check_integrity

    folder = root / cls.base_folder
    bad = [f for _, h, f in cls.file_list
           if not f.endswith((".zip", ".7z")) and not check_integrity(folder / f, h)]
    if not (folder / "img_align_celeba").is_dir():
        bad.append("img_align_celeba/")
    return bad


def celeba_manual_help(root) -> str:
    folder = Path(root) / "celeba"
    txt = ("list_eval_partition.txt", "identity_CelebA.txt", "list_attr_celeba.txt",
           "list_bbox_celeba.txt", "list_landmarks_align_celeba.txt")
    return (f"Google Drive often refuses these downloads; place the files by hand, from "
            f"{CELEBA_URL} (folders 'Align&Cropped Images', 'Anno', 'Eval'):\n"
            f"  {folder}/img_align_celeba/000001.jpg ... 202599.jpg   "
            f"(unzip img_align_celeba.zip inside {folder}/)\n"
            + "".join(f"  {folder}/{t}\n" for t in txt)
            + "then run snakemake again.")


def celeba(root, size: int = 32, crop: int = 178, value_range=(-1.0, 1.0),
           download: bool = True, max_per_split: int | None = None, seed: int = 0,
           md5: dict | None = None) -> dict:
    """Grayscale CelebA (aligned), centre ``crop``×``crop`` square, resized to ``size``.

    Uses the official train/valid/test partition; ``max_per_split`` keeps a random subset
    (seeded) of each split.
    """
    from PIL import Image
    from tqdm import tqdm

    cls, root = _celeba_class(md5), Path(root)
    bad = _celeba_bad_files(cls, root)
    if bad and download:
        try:
            with socket_timeout(DOWNLOAD_TIMEOUT_S):
                cls(root, split="all", target_type=[], download=True)
        except Exception as exc:
            raise DatasetError(f"CelebA: download into {root / 'celeba'}/ failed "
                               f"({type(exc).__name__}: {exc}).\n{celeba_manual_help(root)}") from exc
        bad = _celeba_bad_files(cls, root)
    if bad:
        raise DatasetError(f"CelebA: missing or failing their md5 check in {root / 'celeba'}: "
                           f"{', '.join(bad)}.\n{celeba_manual_help(root)}")
    rng = np.random.default_rng(seed)
    img_dir = root / cls.base_folder / "img_align_celeba"
    out = {}
    for split, tv_split in zip(SPLITS, ("train", "valid", "test")):
        names = list(cls(root, split=tv_split, target_type=[], download=False).filename)
        if max_per_split is not None and len(names) > max_per_split:
            names = [names[i] for i in np.sort(rng.choice(len(names), max_per_split, replace=False))]
        missing = [n for n in names if not (img_dir / n).is_file()]
        if missing:
            raise DatasetError(f"CelebA: {len(missing)} images of the {tv_split} partition are "
                               f"missing from {img_dir} (first: {missing[0]}); the image folder "
                               f"is incomplete.\n{celeba_manual_help(root)}")
        gray = np.empty((len(names), size, size), np.uint8)
        for k, name in enumerate(tqdm(names, desc=f"celeba {split}", mininterval=10)):
            with Image.open(img_dir / name) as im:
                im = im.convert("RGB")
                w, h = im.size
                if crop > min(w, h):
                    raise DatasetError(f"CelebA: crop {crop} exceeds image {name} of size {w}x{h}")
                left, top = (w - crop) // 2, (h - crop) // 2
                im = im.crop((left, top, left + crop, top + crop)).convert("L")
                gray[k] = np.asarray(im.resize((size, size), Image.BILINEAR))
        out[split] = to_range(gray, value_range)
    return out


# --------------------------------------------------------------------- dispatch & IO
def drop_duplicates(splits: dict) -> tuple[dict, dict]:
    """Splits with exact duplicates removed, within and across splits (the first occurrence,
    in split order train, val, test, is kept), and per split the number removed."""
    seen, out, report = set(), {}, {}
    for split, x in splits.items():
        keep = []
        for i, img in enumerate(x):
            key = img.tobytes()
            if key not in seen:
                seen.add(key)
                keep.append(i)
        out[split] = x[keep]
        report[split] = {"duplicates_removed": len(x) - len(keep)}
        log.info("%s: %d exact duplicates removed", split, len(x) - len(keep))
    return out, report


def build_reported(name: str, spec: dict, root) -> tuple[dict, dict]:
    """Build dataset ``name`` from its config section ``spec`` (schema: datasets.<name>):
    its splits and, per split, the manifest's extra columns (duplicates redrawn or removed;
    a folder dataset's source files)."""
    from . import folder

    if folder.is_folder(spec):
        return folder.build(spec)
    if name == "natural_patches":
        report = {}
        splits = natural_patches(spec["counts"], size=spec["size"], scale=spec["scale"],
                                 photographs=spec["photographs"], value_range=spec["range"],
                                 seed=spec["seed"], report=report)
        return splits, report
    if name == "cifar10":
        return drop_duplicates(cifar10(root, size=spec["size"], value_range=spec["range"],
                                       split_seed=spec["split_seed"], download=spec["download"]))
    if name == "celeba":
        return drop_duplicates(celeba(root, size=spec["size"], crop=spec["crop"],
                                      value_range=spec["range"], download=spec["download"],
                                      max_per_split=spec["max_per_split"], seed=spec["seed"]))
    raise ValueError(f"unknown dataset {name!r}; allowed: {', '.join(DATASETS)}")


def build(name: str, spec: dict, root) -> dict:
    """The splits of dataset ``name`` ({split: float32 (n, C, H, W)}), see ``build_reported``."""
    return build_reported(name, spec, root)[0]


def write(name: str, spec: dict, root, paths: dict, manifest_path):
    """Build dataset ``name``, write its splits to ``paths`` ({split: .npy}) and its manifest
    (with the duplicates redrawn or removed and, for a folder dataset, every split's source
    files and their sha256)."""
    from ..core import tables

    splits, extra = build_reported(name, spec, root)
    for split, x in splits.items():
        tables.write_npy(x, paths[split])
        log.info("%s %s: %s, mean %.4f, std %.4f", name, split, x.shape, x.mean(), x.std())
    table = manifest(name, paths, spec["range"])
    for col in next(iter(extra.values()), {}):
        table[col] = [extra[split][col] for split in table["split"]]
    tables.write_parquet(table, manifest_path)
    return table


def manifest(dataset: str, paths: dict, value_range):
    """One row per split: count, shape, pixel mean and std, sha256 of the .npy file."""
    import pandas as pd

    rows = []
    for split, path in paths.items():
        x = load_split(path)
        rows.append({"dataset": dataset, "split": split, "file": os.path.basename(path),
                     "count": x.shape[0], "shape": "x".join(map(str, x.shape)),
                     "channels": x.shape[1], "height": x.shape[2], "width": x.shape[3],
                     "range_lo": float(value_range[0]), "range_hi": float(value_range[1]),
                     "pixel_mean": float(x.mean(dtype=np.float64)),
                     "pixel_std": float(x.std(dtype=np.float64)),
                     "pixel_min": float(x.min()), "pixel_max": float(x.max()),
                     "sha256": sha256(path)})
    return pd.DataFrame(rows)


def load_split(path) -> np.ndarray:
    """Load one split written by the pipeline: float32 (n, C, H, W), C = 1 (gray) or 3 (a
    folder dataset's ``color: rgb``). Errors name the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"dataset split {path} does not exist; build it with "
                                f"`snakemake {path}`")
    try:
        x = np.load(path, allow_pickle=False)
    except Exception as exc:
        raise ValueError(f"dataset split {path} is not a readable .npy array: {exc}") from exc
    if x.ndim != 4 or x.shape[1] not in (1, 3) or x.dtype != np.float32 or x.shape[0] == 0:
        raise ValueError(f"dataset split {path} has shape {x.shape} and dtype {x.dtype}; "
                         f"expected float32 (n, C, H, W) with C = 1 or 3 and n >= 1")
    return x
