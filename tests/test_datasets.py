"""Datasets: loaders on tiny files in each source's exact on-disk format, no network.

The tiny CIFAR-10 and CelebA files cannot match torchvision's published md5 sums. Those
tests pass the md5 sums of the tiny files through the loaders' documented ``md5``
argument (the integrity check still runs, against these sums); separate tests show that
the real sums reject the tiny files and that a corrupted file fails loudly.
"""

from __future__ import annotations

import hashlib
import pickle
import tarfile

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from easy2hard.images import datasets
from easy2hard.images.datasets import DatasetError

from .conftest import REPO

# ---------------------------------------------------------------------------- helpers


def md5(path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def pil_gray(rgb_u8: np.ndarray) -> np.ndarray:
    return np.asarray(Image.fromarray(rgb_u8).convert("L"))


REAL_URLOPEN = __import__("urllib.request").request.urlopen


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any attempt to open a URL fails, as on an offline machine."""
    import urllib.request

    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network disabled in tests")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


# --------------------------------------------------------------------------- basics


def test_luma_is_bit_exact_to_pil():
    rgb = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    assert np.array_equal(datasets.luma(rgb), pil_gray(rgb))


def test_thirds_match_torch_random_split():
    for n in (30, 31, 32):
        ours = datasets.thirds(n, 42)
        theirs = torch.utils.data.random_split(
            range(n), [len(p) for p in ours], generator=torch.Generator().manual_seed(42))
        assert [sorted(s.indices) for s in theirs] == [p.tolist() for p in ours]
        assert np.array_equal(np.sort(np.concatenate(ours)), np.arange(n))


# ------------------------------------------------------------------- natural patches


def test_natural_patches_shape_range_and_reproducible():
    counts = {"train": 50, "val": 20, "test": 30}
    a = datasets.natural_patches(counts, size=8, scale=0.25, value_range=(-1, 1), seed=3)
    b = datasets.natural_patches(counts, size=8, scale=0.25, value_range=(-1, 1), seed=3)
    c = datasets.natural_patches(counts, size=8, scale=0.25, value_range=(-1, 1), seed=4)
    for split, n in counts.items():
        assert a[split].shape == (n, 1, 8, 8) and a[split].dtype == np.float32
        assert a[split].min() >= -1 and a[split].max() <= 1
        assert np.array_equal(a[split], b[split])
        assert not np.array_equal(a[split], c[split])
        assert a[split].std() > 0.05  # real image content, not a constant


def test_natural_patches_splits_share_no_pixel():
    shapes = [(128, 160), (96, 96), (64, 200)]
    size, block = 8, 16
    org = datasets.patch_origins(shapes, {"train": 300, "val": 100, "test": 200}, size,
                                 np.random.default_rng(0))
    used = {}
    for split, o in org.items():
        img, y, x = o.T
        assert (y // block == (y + size - 1) // block).all()  # inside one block
        assert (x // block == (x + size - 1) // block).all()
        assert all((y + size <= np.array(shapes)[img, 0]).tolist())
        used[split] = set(zip(img.tolist(), (y // block).tolist(), (x // block).tolist()))
    assert not used["train"] & used["val"]
    assert not used["train"] & used["test"]
    assert not used["val"] & used["test"]


def test_natural_patches_redraw_exact_duplicates_within_and_across_splits():
    """At scale 0.1 flat regions make identical 8×8 patches: each is drawn again, every split
    keeps its count, no patch occurs twice anywhere, and the redraws are reported."""
    counts = {"train": 300, "val": 100, "test": 200}
    report = {}
    x = datasets.natural_patches(counts, size=8, scale=0.1, value_range=(-1, 1), seed=0,
                                 report=report)
    assert {s: len(v) for s, v in x.items()} == counts
    flat = np.concatenate([x[s] for s in datasets.SPLITS]).reshape(sum(counts.values()), -1)
    assert len(np.unique(flat, axis=0)) == len(flat)
    assert sum(r["duplicates_redrawn"] for r in report.values()) > 0


def test_drop_duplicates_keeps_first_occurrence_across_splits():
    a, b, c = (np.full((1, 2, 2), v, np.float32) for v in (0.0, 0.5, 1.0))
    splits = {"train": np.stack([a, b, a]), "val": np.stack([b, c]), "test": np.stack([c, c, a])}
    out, report = datasets.drop_duplicates(splits)
    assert [len(out[s]) for s in datasets.SPLITS] == [2, 1, 0]
    assert [report[s]["duplicates_removed"] for s in datasets.SPLITS] == [1, 1, 3]


# --------------------------------------------------------------------------- CIFAR-10

CIFAR_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def write_cifar(root, per_batch=6, archive=True):
    """Tiny CIFAR-10 in torchvision's layout: cifar-10-python.tar.gz holding
    cifar-10-batches-py/{data_batch_1..5, test_batch, batches.meta} (python pickles)."""
    rng = np.random.default_rng(1)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    images = []
    for name in CIFAR_FILES:
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        images.append(data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        entry = {"batch_label": name, "labels": rng.integers(0, 10, per_batch).tolist(),
                 "data": data, "filenames": [f"img{i}.png" for i in range(per_batch)]}
        (folder / name).write_bytes(pickle.dumps(entry, protocol=2))
    meta = {"label_names": [f"class{i}" for i in range(10)], "num_cases_per_batch": per_batch}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    sums = {f.name: md5(f) for f in folder.iterdir()}
    if archive:
        tgz = root / "cifar-10-python.tar.gz"
        with tarfile.open(tgz, "w:gz") as tar:
            tar.add(folder, arcname="cifar-10-batches-py")
        sums[tgz.name] = md5(tgz)
    return np.concatenate(images), sums


def test_cifar10_from_archive_grayscale_and_thirds(tmp_path):
    rgb, sums = write_cifar(tmp_path)
    import shutil

    shutil.rmtree(tmp_path / "cifar-10-batches-py")  # only the verified archive is there
    out = datasets.cifar10(tmp_path, value_range=(0, 1), split_seed=42, md5=sums)
    assert (tmp_path / "cifar-10-batches-py" / "test_batch").is_file()  # extracted
    expected = np.stack([pil_gray(im) for im in rgb]).astype(np.float32) / 255
    idx = datasets.thirds(len(rgb), 42)
    for split, i in zip(datasets.SPLITS, idx):
        assert out[split].shape == (len(rgb) // 3, 1, 32, 32)
        assert np.array_equal(out[split][:, 0], expected[i])
        assert out[split].min() >= 0 and out[split].max() <= 1
    # splits disjoint, covering all 36 images (train+test merged), reproducible
    assert sum(len(i) for i in idx) == len(rgb) and len(set(np.concatenate(idx))) == len(rgb)
    again = datasets.cifar10(tmp_path, value_range=(0, 1), split_seed=42, md5=sums)
    assert all(np.array_equal(out[s], again[s]) for s in datasets.SPLITS)
    other = datasets.cifar10(tmp_path, value_range=(0, 1), split_seed=7, md5=sums)
    assert not np.array_equal(out["test"], other["test"])


def test_cifar10_resize_and_range_match_torchvision_transforms(tmp_path):
    from torchvision import transforms

    rgb, sums = write_cifar(tmp_path, archive=False)
    out = datasets.cifar10(tmp_path, size=16, value_range=(-1, 1), download=False, md5=sums)
    ref = transforms.Compose([transforms.Grayscale(), transforms.Resize((16, 16)),
                              transforms.PILToTensor()])
    expected = np.stack([ref(Image.fromarray(im)) for im in rgb]).astype(np.float32) / 255 * 2 - 1
    for split, i in zip(datasets.SPLITS, datasets.thirds(len(rgb), 42)):
        assert out[split].shape[1:] == (1, 16, 16)
        np.testing.assert_allclose(out[split], expected[i], atol=1e-6)


def test_cifar10_real_checksums_reject_stand_in_files(tmp_path):
    write_cifar(tmp_path, archive=False)
    with pytest.raises(DatasetError, match="data_batch_1.*md5|md5.*data_batch_1"):
        datasets.cifar10(tmp_path, download=False)


def test_cifar10_corrupt_file_fails_loudly(tmp_path):
    _, sums = write_cifar(tmp_path, archive=False)
    path = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(DatasetError) as info:
        datasets.cifar10(tmp_path, download=False, md5=sums)
    assert "data_batch_3" in str(info.value) and "data_batch_2" not in str(info.value)


class _HalfResponse:
    """A response that sends half an archive, then drops the connection."""

    def __init__(self):
        self.sent = False

    def read(self, n=-1):
        if self.sent:
            raise ConnectionResetError("connection reset by peer")
        self.sent = True
        return b"\x1f\x8b half an archive"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_cifar10_partial_download_leaves_nothing_complete(tmp_path, monkeypatch):
    import urllib.request

    calls = []
    monkeypatch.setattr(urllib.request, "urlopen",
                        lambda *a, **k: calls.append(k.get("timeout")) or _HalfResponse())
    monkeypatch.setattr(datasets, "DOWNLOAD_BACKOFF_S", 0.0)
    with pytest.raises(DatasetError) as info:
        datasets.cifar10(tmp_path / "data")
    msg = str(info.value)
    assert "cifar-10-python.tar.gz" in msg and "by hand" in msg and str(tmp_path / "data") in msg
    assert "connection reset" in msg
    assert calls == [datasets.DOWNLOAD_TIMEOUT_S] * datasets.DOWNLOAD_ATTEMPTS  # bounded
    assert not (tmp_path / "data" / "cifar-10-python.tar.gz").exists()
    assert not (tmp_path / "data" / "cifar-10-batches-py").exists()
    assert not list((tmp_path / "data").glob(".*.part"))


@pytest.fixture
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections (the kernel completes the
    handshake from the listen backlog) and never answers: a stuck proxy."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def _within(seconds, fn):
    """Run ``fn`` in a thread; its exception, or an AssertionError if it is still running
    after ``seconds`` (without a socket timeout it would wait forever)."""
    import threading

    out = {}

    def target():
        try:
            fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            out["exc"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s: no timeout"
    return out.get("exc")


def test_download_from_a_silent_server_times_out(tmp_path, monkeypatch, silent_server):
    """Two attempts of 0.5 s each (+0.1 s between) end in well under 20 s with an error
    naming the URL; nothing is left at the destination."""
    import time
    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", REAL_URLOPEN)
    url = f"{silent_server}/cifar-10-python.tar.gz"
    start = time.monotonic()
    exc = _within(20, lambda: datasets.fetch(url, tmp_path / "a.tar.gz", "0" * 32,
                                             timeout=0.5, attempts=2, backoff=0.1))
    assert isinstance(exc, DatasetError), exc
    assert time.monotonic() - start < 10
    assert url in str(exc) and "failed 2 times" in str(exc) and "timed out" in str(exc)
    assert not list(tmp_path.iterdir())


def test_cifar10_behind_a_silent_proxy_fails_clearly(tmp_path, monkeypatch, silent_server):
    import urllib.request

    from torchvision.datasets import CIFAR10

    monkeypatch.setattr(urllib.request, "urlopen", REAL_URLOPEN)
    monkeypatch.setattr(CIFAR10, "url", f"{silent_server}/cifar-10-python.tar.gz")
    monkeypatch.setattr(datasets, "DOWNLOAD_TIMEOUT_S", 0.5, raising=False)
    monkeypatch.setattr(datasets, "DOWNLOAD_BACKOFF_S", 0.1, raising=False)
    exc = _within(30, lambda: datasets.cifar10(tmp_path / "data"))
    assert isinstance(exc, DatasetError), exc
    msg = str(exc)
    assert "timed out" in msg and CIFAR10.tgz_md5 in msg and "by hand" in msg


# ----------------------------------------------------------------------------- CelebA

CELEBA_TXT = ["list_eval_partition.txt", "identity_CelebA.txt", "list_attr_celeba.txt",
              "list_bbox_celeba.txt", "list_landmarks_align_celeba.txt"]


def write_celeba(root, n=12):
    """Tiny CelebA in torchvision's layout: celeba/img_align_celeba/*.jpg (178x218) and
    the five annotation lists. Partition: half train, a quarter valid, a quarter test."""
    rng = np.random.default_rng(2)
    folder = root / "celeba"
    (folder / "img_align_celeba").mkdir(parents=True)
    names = [f"{i:06d}.jpg" for i in range(1, n + 1)]
    part = [0] * (n // 2) + [1] * (n // 4) + [2] * (n - n // 2 - n // 4)
    for name in names:  # smooth random images so JPEG keeps them close
        small = rng.integers(0, 256, (7, 6, 3), dtype=np.uint8)
        Image.fromarray(small).resize((178, 218), Image.BILINEAR).save(folder / "img_align_celeba" / name)
    attrs = [f"Attr_{k}" for k in range(40)]
    lines = {
        "list_eval_partition.txt": [f"{f} {p}" for f, p in zip(names, part)],
        "identity_CelebA.txt": [f"{f} {i + 100}" for i, f in enumerate(names)],
        "list_attr_celeba.txt": [str(n), " ".join(attrs)]
        + [f + "".join(f" {v:2d}" for v in rng.choice([-1, 1], 40)) for f in names],
        "list_bbox_celeba.txt": [str(n), "image_id x_1 y_1 width height"]
        + [f"{f}    95  71 226 313" for f in names],
        "list_landmarks_align_celeba.txt": [str(n), "lefteye_x lefteye_y righteye_x righteye_y "
                                            "nose_x nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y"]
        + [f"{f}    69  109  106  113   77  142   73  152  108  154" for f in names],
    }
    for name, rows in lines.items():
        (folder / name).write_text("\n".join(rows) + "\n")
    return names, part, {t: md5(folder / t) for t in CELEBA_TXT}


def test_celeba_official_partition_matches_torchvision_transforms(tmp_path):
    from torchvision import transforms

    names, part, sums = write_celeba(tmp_path)
    out = datasets.celeba(tmp_path, size=8, crop=178, value_range=(-1, 1), md5=sums)
    ref = transforms.Compose([transforms.CenterCrop(178), transforms.Grayscale(),
                              transforms.Resize((8, 8)), transforms.PILToTensor()])
    for split, p in zip(datasets.SPLITS, (0, 1, 2)):
        mine = [f for f, q in zip(names, part) if q == p]
        expected = np.stack([ref(Image.open(tmp_path / "celeba" / "img_align_celeba" / f))
                             for f in mine]).astype(np.float32) / 255 * 2 - 1
        assert out[split].shape == (len(mine), 1, 8, 8)
        np.testing.assert_allclose(out[split], expected, atol=1e-6)
        assert out[split].min() >= -1 and out[split].max() <= 1


def test_celeba_max_per_split_is_seeded(tmp_path):
    _, _, sums = write_celeba(tmp_path, n=16)
    a = datasets.celeba(tmp_path, size=8, max_per_split=2, seed=1, md5=sums)
    b = datasets.celeba(tmp_path, size=8, max_per_split=2, seed=1, md5=sums)
    assert [len(a[s]) for s in datasets.SPLITS] == [2, 2, 2]
    assert all(np.array_equal(a[s], b[s]) for s in datasets.SPLITS)


def test_celeba_failed_download_says_where_to_put_files(tmp_path, monkeypatch):
    import torchvision.datasets.celeba as tvc

    def refuse(file_id, root, filename=None, md5=None):
        raise RuntimeError("Google Drive quota exceeded")

    monkeypatch.setattr(tvc, "download_file_from_google_drive", refuse)
    root = tmp_path / "data"
    with pytest.raises(DatasetError) as info:
        datasets.celeba(root)
    msg = str(info.value)
    assert "quota exceeded" in msg
    assert f"{root}/celeba/img_align_celeba/000001.jpg" in msg
    for txt in CELEBA_TXT:
        assert f"{root}/celeba/{txt}" in msg


def test_celeba_corrupt_list_and_missing_images_fail_loudly(tmp_path):
    names, _, sums = write_celeba(tmp_path)
    with pytest.raises(DatasetError, match="list_eval_partition.txt"):  # real md5 sums
        datasets.celeba(tmp_path, download=False)
    (tmp_path / "celeba" / "img_align_celeba" / names[-1]).unlink()  # partial extraction
    with pytest.raises(DatasetError, match=f"missing from .*img_align_celeba.*{names[-1]}"):
        datasets.celeba(tmp_path, download=False, md5=sums)
    with open(tmp_path / "celeba" / "identity_CelebA.txt", "a") as fh:
        fh.write("999999.jpg 1\n")
    with pytest.raises(DatasetError, match="identity_CelebA.txt"):
        datasets.celeba(tmp_path, download=False, md5=sums)


# ------------------------------------------------------------------- files and errors


def test_load_split_errors_name_the_file(tmp_path):
    missing = tmp_path / "nope" / "test.npy"
    with pytest.raises(FileNotFoundError, match=str(missing)):
        datasets.load_split(missing)
    corrupt = tmp_path / "corrupt.npy"
    corrupt.write_bytes(b"not numpy")
    with pytest.raises(ValueError, match=str(corrupt)):
        datasets.load_split(corrupt)
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((4, 8, 8), np.float32))
    with pytest.raises(ValueError, match=f"{wrong}.*shape"):
        datasets.load_split(wrong)


def test_manifest_records_counts_stats_and_sha256(tmp_path):
    x = np.random.default_rng(0).uniform(-1, 1, (10, 1, 4, 4)).astype(np.float32)
    np.save(tmp_path / "test.npy", x)
    df = datasets.manifest("toy", {"test": tmp_path / "test.npy"}, (-1, 1))
    row = df.iloc[0]
    assert row["count"] == 10 and row["shape"] == "10x1x4x4"
    assert row["sha256"] == hashlib.sha256((tmp_path / "test.npy").read_bytes()).hexdigest()
    assert row["pixel_mean"] == pytest.approx(x.mean(dtype=np.float64))
    assert row["pixel_std"] == pytest.approx(x.std(dtype=np.float64))


# ---------------------------------------------------------------------------- pipeline


def tiny_images_config(**natural_patches) -> dict:
    spec = {"size": 8, "scale": 0.25, "counts": {"train": 40, "val": 20, "test": 60}}
    spec.update(natural_patches)
    return {"device": "cpu", "datasets": {"build": ["natural_patches"], "natural_patches": spec},
            "clones": {"seed": 1, "examples": 3}}


MY_TARGETS = ["results/data/natural_patches/manifest.parquet",
              "results/clones/natural_patches/mean.npy",
              "results/clones/natural_patches/meancov.npy",
              "results/clones/natural_patches/mean_iso.npy",
              "results/figures/clone_examples_natural_patches.png"]


def test_pipeline_builds_natural_patches_and_clones(run_workflow):
    run_workflow(tiny_images_config(), *MY_TARGETS)
    out = run_workflow.workdir / "results"
    import pandas as pd

    man = pd.read_parquet(out / "data/natural_patches/manifest.parquet").set_index("split")
    for split, n in {"train": 40, "val": 20, "test": 60}.items():
        x = datasets.load_split(out / f"data/natural_patches/{split}.npy")
        assert x.shape == (n, 1, 8, 8) and -1 <= x.min() and x.max() <= 1
        assert man.loc[split, "count"] == n
        assert man.loc[split, "sha256"] == datasets.sha256(out / f"data/natural_patches/{split}.npy")
    for clone in ("mean", "meancov", "mean_iso"):
        assert np.load(out / f"clones/natural_patches/{clone}.npy").shape == (60, 1, 8, 8)
    assert np.load(out / "clones/natural_patches/mu.npy").shape == (1, 8, 8)
    assert np.load(out / "clones/natural_patches/cov.npy").shape == (64, 64)
    assert (out / "figures/clone_examples_natural_patches.pdf").stat().st_size > 0
    # a rerun does nothing
    again = run_workflow(tiny_images_config(), *MY_TARGETS, "-n")
    assert "Nothing to be done" in again.stdout + again.stderr


def test_empty_value_range_is_refused(run_workflow):
    proc = run_workflow(tiny_images_config(range=[1.0, 1.0]), "-n", check=False)
    assert proc.returncode != 0
    assert "datasets.natural_patches.range" in proc.stdout + proc.stderr


def test_paper_config_plans_cifar10_and_celeba_offline(run_workflow):
    cfg = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    cfg["device"] = "cuda"  # its U-Net trainings are refused on a CPU (tests/test_cost_device.py)
    root = cfg["results_dir"]  # the paper config writes under its own root
    proc = run_workflow(cfg, "-n", f"{root}/clones/cifar10/meancov.npy",
                        f"{root}/clones/celeba/meancov.npy")
    text = proc.stdout + proc.stderr
    for ds in ("cifar10", "celeba"):
        assert f"{root}/data/{ds}/test.npy" in text
        assert f"{root}/clones/{ds}/meancov.npy" in text
