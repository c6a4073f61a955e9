"""A killed U-Net training job resumes from its newest checkpoint and ends with the same
weights as an uninterrupted run (bit for bit, on CPU)."""

import os
import random
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from easy2hard.images import training as unet_training
from easy2hard.images.settings import TrainerSettings
from easy2hard.core.tables import load_torch
from easy2hard.pipeline import plan, provenance
from easy2hard.pipeline.config import validate
from easy2hard.pipeline.plan import images as images_plan

from .conftest import REPO, snakemake
from .test_unet import tiny_unet_config

SPEC = {"base_channels": 4, "depth": 2, "emb_dim": 16, "T": 50, "beta_min": 1e-4, "beta_max": 0.02,
        "steps": 40, "batch": 4, "lr": 1e-3, "train_subset": 32,
        "bf16": False, "channels_last": False, "compile": False}


def settings(**changes) -> TrainerSettings:
    """The trainer's settings of SPEC with ``changes``."""
    return TrainerSettings.from_spec({**SPEC, **changes})


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """The tiny trainings of this module on one thread: on a loaded machine torch's thread
    pool makes them 10-50 times slower (measured: 50 s against 3 s for the fingerprint tests)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _assert_same_state(a, b):
    a, b = load_torch(a), load_torch(b)
    assert a["step"] == b["step"]
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    sa, sb = a["optimizer"]["state"], b["optimizer"]["state"]
    # Adam keeps (step, exp_avg, exp_avg_sq) per parameter once it has stepped: an empty
    # state would make the comparison vacuous.
    assert sa.keys() == sb.keys() and len(sa) > 0
    for key in sa:
        assert sa[key].keys() == sb[key].keys() and {"exp_avg", "exp_avg_sq"} <= set(sa[key])
        assert all(torch.equal(sa[key][k], sb[key][k]) for k in sa[key]), key
    assert torch.equal(a["rng"]["generator"], b["rng"]["generator"])


def test_library_resume_equals_uninterrupted(tmp_path):
    images = np.random.default_rng(0).uniform(-1, 1, (32, 1, 8, 8)).astype(np.float32)
    steps = unet_training.checkpoint_steps(SPEC["steps"], 4)
    unet_training.train(images, settings(), 3, tmp_path / "full", steps, progress=False)
    # Interrupted after the second checkpoint: later states never written. An unrelated
    # random draw in between must not matter (every RNG state is restored).
    unet_training.train(images, settings(), 3, tmp_path / "cut", steps, progress=False)
    for s in steps[2:]:
        unet_training.state_path(tmp_path / "cut", s).unlink()
    torch.rand(5), np.random.rand(3)
    unet_training.train(images, settings(), 3, tmp_path / "cut", steps, progress=False)
    _assert_same_state(unet_training.state_path(tmp_path / "full", 40),
                       unet_training.state_path(tmp_path / "cut", 40))
    # A different seed gives different weights, so the comparison above can fail.
    unet_training.train(images, settings(), 4, tmp_path / "other", steps, progress=False)
    other = load_torch(unet_training.state_path(tmp_path / "other", 40))["model"]
    full = load_torch(unet_training.state_path(tmp_path / "full", 40))["model"]
    assert not all(torch.equal(full[k], other[k]) for k in full)


def test_states_of_another_spec_are_set_aside(tmp_path, caplog):
    images = np.zeros((8, 1, 8, 8), np.float32)
    steps = [2, 5]
    unet_training.train(images, settings(steps=5), 0, tmp_path, steps, progress=False)
    before = load_torch(unet_training.state_path(tmp_path, 5))["fingerprint"]
    with caplog.at_level("WARNING"):
        unet_training.train(images, settings(steps=5, lr=2e-3), 0, tmp_path, steps, progress=False)
    assert "fingerprint differs in lr" in caplog.text
    after = load_torch(unet_training.state_path(tmp_path, 5))["fingerprint"]
    assert before["spec"]["lr"] == 1e-3 and after["spec"]["lr"] == 2e-3
    kept = load_torch(unet_training.state_path(tmp_path / "set_aside/1", 5))["fingerprint"]
    assert kept == before


def _resume_config():
    cfg = tiny_unet_config(seeds=[0, 1], training={"steps": 400, "batch": 8, "lr": 1e-3, "train_subset": 60},
                           checkpoints={"n": 6}, samples={"checkpoints": 0})
    return cfg


RUN = "results/unet/natural_patches/tiny"
TRAIN_LOG = "results/logs/unet/natural_patches/tiny/train.log"


def test_sigkill_mid_training_then_rerun_matches_uninterrupted(tmp_path):
    """The run's two seeds train in one job, in lockstep; killed with snakemake mid-run,
    rerun, every published checkpoint of both seeds equals the uninterrupted run's."""
    cfg = _resume_config()
    targets = [f"{RUN}/seed{s}/ckpt" for s in (0, 1)]
    steps = unet_training.checkpoint_steps(400, 6)
    ref, cut = tmp_path / "ref", tmp_path / "cut"
    snakemake(ref, cfg, *targets)

    # Build the data first, then start training and SIGKILL snakemake and the job together
    # (as a node failure or a SLURM timeout would) once a middle checkpoint is on disk.
    snakemake(cut, cfg, "results/data/natural_patches/train.npy")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(cut),
           "--configfile", str(cut / "config.yaml"), "--cores", "2", *targets]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    resume = cut / RUN / "seed0/resume"
    middle = unet_training.state_path(resume, steps[3])
    deadline = time.time() + 600
    try:
        while not middle.exists():
            assert proc.poll() is None, "training ended before it could be killed"
            assert time.time() < deadline, "no checkpoint appeared"
            time.sleep(0.02)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not unet_training.state_path(resume, steps[-1]).exists(), "killed too late to test resuming"
    assert not any((cut / target).exists() for target in targets)

    snakemake(cut, cfg, "--unlock")
    snakemake(cut, cfg, *targets, "--rerun-incomplete")
    log = (cut / TRAIN_LOG).read_text()
    assert "resuming from" in log and f"of {steps[-1]}" in log and "seeds [0, 1] in lockstep" in log
    for target in targets:
        for s in steps:
            _assert_same_state(ref / target / f"step{s:07d}.pt", cut / target / f"step{s:07d}.pt")

    # A checkpoint replaced by other valid bytes (before: evaluated silently) stops its
    # evaluation with a checksum error; deleting the folder and the run's manifest, as the
    # message says, retrains from the newest intact resume state (the file is a hard link
    # to it) to the same bytes.
    target = targets[0]
    last = cut / target / f"step{steps[-1]:07d}.pt"
    good = last.read_bytes()
    last.write_bytes((cut / target / f"step{steps[0]:07d}.pt").read_bytes())
    shares = images_plan.eval_shares(validate(cfg)["unet"]["runs"]["tiny"])
    share = next(j for j, steps_of in enumerate(shares) if steps[-1] in steps_of)
    evaluation = f"{RUN}/eval/share{share}.parquet"
    proc = snakemake(cut, cfg, evaluation, check=False)
    assert proc.returncode != 0
    message = proc.stdout + proc.stderr
    assert f"{target}/{last.name} does not match its checksum" in message
    assert f"{RUN}/SHA256SUMS and run snakemake again" in message
    shutil.rmtree(cut / target)
    (cut / RUN / "SHA256SUMS").unlink()
    snakemake(cut, cfg, target)
    assert "skipping unreadable resume state" in (cut / TRAIN_LOG).read_text()
    assert last.read_bytes() == good


# ------------------------------------------------------------------ corrupt states
def _train(images, state_dir, steps):
    unet_training.train(images, settings(), 3, state_dir, steps, progress=False)
    return unet_training.state_path(state_dir, steps[-1])


@pytest.mark.parametrize("damage", ["truncate", "swap"])
def test_resume_skips_a_corrupt_state_with_a_warning(tmp_path, caplog, damage):
    """A truncated state (unreadable) or one replaced by other valid bytes (fails its
    recorded SHA-256) is skipped; training resumes from the newest intact state and ends
    with the same bytes as an uninterrupted run."""
    images = np.random.default_rng(0).uniform(-1, 1, (32, 1, 8, 8)).astype(np.float32)
    steps = unet_training.checkpoint_steps(SPEC["steps"], 4)
    reference = _train(images, tmp_path / "ref", steps).read_bytes()
    last = _train(images, tmp_path / "cut", steps)
    assert last.read_bytes() == reference  # byte-reproducible saves
    earlier = unet_training.state_path(tmp_path / "cut", steps[0])
    if damage == "truncate":
        last.write_bytes(reference[: len(reference) // 2])
    else:
        last.write_bytes(earlier.read_bytes())  # loadable, but not what was saved there
    with caplog.at_level("WARNING"):
        _train(images, tmp_path / "cut", steps)
    assert f"skipping unreadable resume state {last}" in caplog.text
    assert last.read_bytes() == reference


def test_published_checkpoints_are_verified_against_their_manifest(tmp_path):
    images = np.zeros((8, 1, 8, 8), np.float32)
    spec = {**SPEC, "steps": 4}
    state_dir, folder = tmp_path / "resume", tmp_path / "ckpt"
    unet_training.train(images, settings(steps=4), 0, state_dir, [2, 4], progress=False)
    folder.mkdir()
    names = [unet_training.state_path(folder, s).name for s in (2, 4)]
    for name in names:
        os.link(state_dir / name, folder / name)
    with pytest.raises(ValueError, match="has no SHA256SUMS"):
        unet_training.verify_checkpoint(folder / names[0])
    manifest = unet_training.write_manifest(folder, names, recorded_in=state_dir)
    assert subprocess.run(["sha256sum", "-c", "--quiet", manifest.name], cwd=folder).returncode == 0
    for name in names:
        assert unet_training.verify_checkpoint(folder / name) == folder / name
    unet_training.load_model(folder / names[1], spec)  # verifies, then loads
    (folder / names[1]).write_bytes((folder / names[0]).read_bytes())
    for read in (unet_training.verify_checkpoint, lambda p: unet_training.load_model(p, spec)):
        with pytest.raises(ValueError) as info:
            read(folder / names[1])
        assert f"checkpoint {folder / names[1]} does not match its checksum" in str(info.value)
        assert f"Delete {folder}" in str(info.value)


# ------------------------------------------------------------------ what makes the weights
IMAGES = np.random.default_rng(0).uniform(-1, 1, (32, 1, 8, 8)).astype(np.float32)
SHORT = {**SPEC, "steps": 12}
GRID = unet_training.checkpoint_steps(SHORT["steps"], 3)


def _states(folder) -> dict:
    """sha256 of every resume state in ``folder``, by file name."""
    return {p.name: unet_training.sha256(p) for p in sorted(folder.glob("step*.pt"))}


def _run(folder, images=IMAGES, grid=GRID, code="", global_seed=0) -> dict:
    """Train in ``folder`` after seeding the unseeded global generators (Python, numpy) with
    ``global_seed``, as two processes would differ; the states' sha256 by name."""
    random.seed(global_seed)
    np.random.seed(global_seed)
    unet_training.train(images, TrainerSettings.from_spec(SHORT), 3, folder, grid, progress=False, code=code)
    return _states(folder)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted run of SHORT on IMAGES: (folder, sha256 of its states)."""
    folder = tmp_path_factory.mktemp("reference")
    return folder, _run(folder)


def test_identical_runs_save_identical_bytes(reference, tmp_path):
    """Only the seeded generators are saved: a run in another global random state (another
    process) gives checkpoints with the same sha256."""
    assert len(reference[1]) == len(GRID)
    assert _run(tmp_path, global_seed=1) == reference[1]


def test_unchanged_rerun_resumes_bit_identically(reference, tmp_path, caplog):
    """A run killed after its first checkpoint (later states removed), rerun unchanged in
    another process, resumes and ends with the bytes of the uninterrupted reference."""
    _run(tmp_path, global_seed=1)
    for step in GRID[1:]:
        unet_training.state_path(tmp_path, step).unlink()
    with caplog.at_level("INFO"):
        states = _run(tmp_path, global_seed=2)
    assert f"resuming from {unet_training.state_path(tmp_path, GRID[0])}" in caplog.text
    assert states == reference[1] and not (tmp_path / unet_training.SET_ASIDE).exists()
    caplog.clear()
    with caplog.at_level("INFO"):  # complete: resumes from the last state, trains nothing
        assert _run(tmp_path, global_seed=3) == reference[1]
    assert f"(step {GRID[-1]} of {GRID[-1]})" in caplog.text


def _retrains(reference, tmp_path, caplog, why: str, **change) -> dict:
    """Run with ``change`` on a copy of the reference states: they are set aside (moved
    whole, with one line saying ``why``) and training starts over; the new states' sha256."""
    shutil.copytree(reference[0], tmp_path, dirs_exist_ok=True)
    with caplog.at_level("INFO"):
        states = _run(tmp_path, **change)
    lines = [r.getMessage() for r in caplog.records if "set aside" in r.getMessage()]
    assert len(lines) == 1 and f"fingerprint differs in {why}" in lines[0], caplog.text
    assert "training from scratch" in caplog.text and "resuming" not in caplog.text
    assert _states(tmp_path / unet_training.SET_ASIDE / "1") == reference[1]
    assert states != reference[1]
    return states


def test_changed_training_data_retrains(reference, tmp_path, caplog):
    images = IMAGES.copy()
    images[5, 0, 2, 3] += 0.25
    states = _retrains(reference, tmp_path, caplog, "data", images=images)
    assert states == _run(tmp_path / "fresh", images=images)


def test_changed_training_code_retrains(reference, tmp_path, caplog):
    _retrains(reference, tmp_path, caplog, "code", code="another hash")


def test_loss_edit_changes_the_training_code_hash(tmp_path):
    """The code hash the training job puts in the fingerprint (its ``weights_code`` param)
    covers the loss: doubling it, as a planted edit in a copy of the package, changes it."""
    cfg = validate(tiny_unet_config())
    module = images_plan.TRAINING_MODULE
    assert plan.job_params(cfg, "unet_train")["weights_code"] == provenance.modules_hash(module)
    for copy in ("same", "edited"):
        shutil.copytree(REPO / "easy2hard", tmp_path / copy / "easy2hard",
                        ignore=shutil.ignore_patterns("__pycache__"))
    source = tmp_path / "edited/easy2hard/images/training.py"
    text = source.read_text()
    assert "alpha_bar).mean()" in text
    source.write_text(text.replace("alpha_bar).mean()", "alpha_bar).mean() * 2"))
    same = provenance.modules_hash(module, root=tmp_path / "same")
    assert same == provenance.modules_hash(module)
    assert provenance.modules_hash(module, root=tmp_path / "edited") != same


def test_changed_checkpoint_grid_writes_the_new_checkpoints(reference, tmp_path, caplog):
    """checkpoints.n 3 -> 4: the new steps are trained again from the newest state before
    them, to the bytes of a run made with 4 checkpoints from the start."""
    grid = unet_training.checkpoint_steps(SHORT["steps"], 4)
    assert set(grid) - set(GRID)
    shutil.copytree(reference[0], tmp_path / "grown")
    with caplog.at_level("INFO"):
        states = _run(tmp_path / "grown", grid=grid)
    assert "have no saved state" in caplog.text
    fresh = _run(tmp_path / "fresh", grid=grid)
    assert {name: states[name] for name in fresh} == fresh
