"""A dataset of the user's own images (datasets.<name>.kind: folder): read, checked before any
job, deduplicated, split, and run end to end by config/examples/own_folder.yaml."""

from __future__ import annotations

import copy
import hashlib
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

from easy2hard.images import datasets, folder
from easy2hard.pipeline import config as e2h_config
from easy2hard.pipeline import plan

from .conftest import REPO, load_test_config, snakemake

EXAMPLE = REPO / "config" / "examples" / "own_folder.yaml"


def write_images(root, n_png=6, n_jpeg=5, size=(24, 20), seed=0) -> dict:
    """PNG and JPEG noise images under ``root`` (one in a subfolder), one exact duplicate of
    the first PNG and one corrupt file; returns the names of the special files."""
    rng = np.random.default_rng(seed)
    (root / "sub").mkdir(parents=True, exist_ok=True)
    for i in range(n_png + n_jpeg):
        img = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
        name = f"png{i}.png" if i < n_png else f"sub/jpeg{i}.JPG"
        img.save(root / name)
    shutil.copy(root / "png0.png", root / "sub" / "copy_of_png0.png")
    (root / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    return {"duplicate": "sub/copy_of_png0.png", "corrupt": "broken.png"}


def folder_spec(path, **over) -> dict:
    """A validated folder dataset block (schema defaults filled in)."""
    cfg = e2h_config.validate({"datasets": {"build": ["mine"], "mine": {
        "kind": "folder", "path": str(path), "size": 8, **over}}}, cross_key=False)
    return cfg["datasets"]["mine"]


def test_problems_name_the_key_and_the_file(tmp_path):
    special = write_images(tmp_path / "imgs")
    msgs = folder.problems("mine", folder_spec(tmp_path / "imgs"))
    assert len(msgs) == 1 and "datasets.mine.path" in msgs[0] and special["corrupt"] in msgs[0]
    assert folder.problems("mine", folder_spec(tmp_path / "imgs", corrupt="skip")) == []
    (tmp_path / "empty").mkdir()
    for path, text in ((tmp_path / "empty", "holds no image"), (tmp_path / "nope", "not a folder")):
        [msg] = folder.problems("mine", folder_spec(path))
        assert "datasets.mine.path" in msg and str(path) in msg and text in msg
    Image.new("RGB", (9, 7)).save(tmp_path / "imgs" / "odd.png")
    [msg] = folder.problems("mine", folder_spec(tmp_path / "imgs", crop="none", corrupt="skip"))
    assert "datasets.mine.crop" in msg and "odd.png is 9x7" in msg


def test_build_removes_duplicates_and_splits_disjointly(tmp_path):
    special = write_images(tmp_path / "imgs")
    spec = folder_spec(tmp_path / "imgs", corrupt="skip", size=8,
                       split={"weights": {"train": 2, "val": 1, "test": 1}, "seed": 3})
    splits, extra = folder.build(spec)
    # 13 files: one corrupt, one duplicate; 11 unique images shared 2:1:1
    assert [len(splits[s]) for s in datasets.SPLITS] == datasets._split_sizes(11, [2, 1, 1])
    assert all(x.shape[1:] == (1, 8, 8) and x.dtype == np.float32 for x in splits.values())
    assert all(-1 <= x.min() and x.max() <= 1 for x in splits.values())
    rows = [bytes(r) for x in splits.values() for r in x.reshape(len(x), -1)]
    assert len(set(rows)) == len(rows) == 11  # no duplicate within or across splits
    files = sum((extra[s]["source_files"] for s in datasets.SPLITS), [])
    assert special["duplicate"] not in files and special["corrupt"] not in files
    assert extra["train"]["duplicates_removed"] == 1 and extra["test"]["unreadable_skipped"] == 1
    sha = dict(zip(files, sum((extra[s]["source_sha256"] for s in datasets.SPLITS), [])))
    assert all(hashlib.sha256((tmp_path / "imgs" / f).read_bytes()).hexdigest() == h
               for f, h in sha.items())


def test_preprocessing_is_pil_centre_crop_resize_and_luma(tmp_path):
    write_images(tmp_path / "imgs")
    path = tmp_path / "imgs" / "png1.png"
    spec = folder_spec(tmp_path / "imgs", size=8, filter="bicubic", range=[0.0, 1.0])
    with Image.open(path) as im:  # 24x20: the centred 20x20 square starts at x = 2
        want = np.asarray(im.crop((2, 0, 22, 20)).resize((8, 8), Image.BICUBIC).convert("L"))
    got = folder.preprocess(path.read_bytes(), spec)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(folder.to_float(got[None], [0.0, 1.0])[0, 0],
                                  want.astype(np.float32) / np.float32(255))
    rgb = folder.preprocess(path.read_bytes(), {**spec, "color": "rgb"})
    assert folder.to_float(rgb[None], [-1, 1]).shape == (1, 3, 8, 8)


def test_fingerprint_follows_every_file(tmp_path):
    write_images(tmp_path / "imgs")
    spec = folder_spec(tmp_path / "imgs", corrupt="skip")
    before = folder.fingerprint(folder.scan(spec))
    assert folder.fingerprint(folder.scan(spec)) == before
    Image.new("RGB", (24, 20), "red").save(tmp_path / "imgs" / "png2.png")  # changed
    assert folder.fingerprint(folder.scan(spec)) != before


def test_example_config_validates_without_its_folder():
    cfg = e2h_config.validate(yaml.safe_load(EXAMPLE.read_text()))
    assert cfg["datasets"]["my_images"]["kind"] == "folder"
    assert plan.folders.folder_problems(cfg)  # the folder is missing: reported at planning


def test_unknown_dataset_name_is_one_error():
    with pytest.raises(e2h_config.ConfigError, match=r"datasets\.build.*'mine'"):
        e2h_config.validate({"datasets": {"build": ["mine"]}})


def tiny_example() -> dict:
    """config/examples/own_folder.yaml with the tiny U-Net of config/test/images.yaml."""
    cfg = yaml.safe_load(EXAMPLE.read_text())
    tiny = load_test_config("images")["unet"]["runs"]["tiny"]
    run = cfg["unet"]["runs"]["mine"]
    run.update({k: copy.deepcopy(tiny[k]) for k in ("model", "ddpm", "training", "checkpoints")})
    run["evaluation"] = {**tiny["evaluation"], "sets": ["train", "test", "meancov"]}
    run["samples"] = {"checkpoints": 0}
    cfg.update(device="cpu", results_dir="results", clones={"n_samples": 6})
    cfg["datasets"]["my_images"]["size"] = 8
    return cfg


TARGETS = ["results/data/my_images/manifest.parquet", "results/unet/my_images/mine/gaps.parquet",
           "results/figures/clone_losses_my_images.png"]


@pytest.fixture(scope="module")
def example_run(tmp_path_factory):
    """The example run on a generated folder: refused while a file is corrupt, then run."""
    work = tmp_path_factory.mktemp("own_folder")
    special = write_images(work / "data" / "my_images", n_png=14, n_jpeg=12)
    cfg = tiny_example()
    refused = snakemake(work, cfg, "-n", *TARGETS, check=False)
    cfg["datasets"]["my_images"]["corrupt"] = "skip"
    snakemake(work, cfg, *TARGETS)
    return work, cfg, refused, special


def test_example_refuses_a_corrupt_image_before_any_job(example_run):
    _, _, refused, special = example_run
    text = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "datasets.my_images.path" in text
    assert special["corrupt"] in text and "Job stats" not in text


def test_example_runs_end_to_end_and_reruns_on_a_new_image(example_run):
    work, cfg, _, special = example_run
    man = pd.read_parquet(work / "results/data/my_images/manifest.parquet").set_index("split")
    assert man["count"].sum() == 26 and (man["duplicates_removed"] == 1).all()
    assert special["duplicate"] not in sum(map(list, man["source_files"]), [])
    gaps = pd.read_parquet(work / "results/unet/my_images/mine/gaps.parquet")
    assert set(gaps["set"]) >= {"meancov"}
    assert "Nothing to be done" in "".join(
        (p.stdout + p.stderr) for p in [snakemake(work, cfg, "-n", *TARGETS)])
    Image.new("RGB", (24, 20), "blue").save(work / "data/my_images/new.png")
    dry = snakemake(work, cfg, "-n", *TARGETS)
    assert "rule data_splits" in dry.stdout + dry.stderr
