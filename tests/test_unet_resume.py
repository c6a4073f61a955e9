"""A killed U-Net training job resumes from its newest checkpoint and ends with the same
weights as an uninterrupted run (bit for bit, on CPU)."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import torch
from easy2hard.images import training as unet_training
from easy2hard.core.io import load_torch

from .conftest import REPO, snakemake
from .test_unet import tiny_unet_config

SPEC = {"base_channels": 4, "depth": 2, "emb_dim": 16, "T": 50, "beta_min": 1e-4, "beta_max": 0.02,
        "steps": 40, "batch": 4, "lr": 1e-3, "train_subset": 32}


def _assert_same_state(a, b):
    a, b = load_torch(a), load_torch(b)
    assert a["step"] == b["step"]
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    for pa, pb in zip(a["optimizer"]["state"].values(), b["optimizer"]["state"].values()):
        assert all(torch.equal(pa[k], pb[k]) for k in pa)
    assert torch.equal(a["rng"]["generator"], b["rng"]["generator"])


def test_library_resume_equals_uninterrupted(tmp_path):
    images = np.random.default_rng(0).uniform(-1, 1, (32, 1, 8, 8)).astype(np.float32)
    steps = unet_training.checkpoint_steps(SPEC["steps"], 4)
    unet_training.train(images, SPEC, 3, tmp_path / "full", steps, progress=False)
    # Interrupted after the second checkpoint: later states never written. An unrelated
    # random draw in between must not matter (every RNG state is restored).
    unet_training.train(images, SPEC, 3, tmp_path / "cut", steps, progress=False)
    for s in steps[2:]:
        unet_training.state_path(tmp_path / "cut", s).unlink()
    torch.rand(5), np.random.rand(3)
    unet_training.train(images, SPEC, 3, tmp_path / "cut", steps, progress=False)
    _assert_same_state(unet_training.state_path(tmp_path / "full", 40),
                       unet_training.state_path(tmp_path / "cut", 40))
    # A different seed gives different weights, so the comparison above can fail.
    unet_training.train(images, SPEC, 4, tmp_path / "other", steps, progress=False)
    other = load_torch(unet_training.state_path(tmp_path / "other", 40))["model"]
    full = load_torch(unet_training.state_path(tmp_path / "full", 40))["model"]
    assert not all(torch.equal(full[k], other[k]) for k in full)


def test_states_of_another_spec_are_ignored(tmp_path, caplog):
    images = np.zeros((8, 1, 8, 8), np.float32)
    steps = [2, 5]
    unet_training.train(images, {**SPEC, "steps": 5}, 0, tmp_path, steps, progress=False)
    before = load_torch(unet_training.state_path(tmp_path, 5))["fingerprint"]
    with caplog.at_level("WARNING"):
        unet_training.train(images, {**SPEC, "steps": 5, "lr": 2e-3}, 0, tmp_path, steps, progress=False)
    assert "different training spec" in caplog.text
    after = load_torch(unet_training.state_path(tmp_path, 5))["fingerprint"]
    assert before["lr"] == 1e-3 and after["lr"] == 2e-3


def _resume_config():
    cfg = tiny_unet_config(seeds=[0], training={"steps": 400, "batch": 8, "lr": 1e-3, "train_subset": 60},
                           checkpoints={"n": 6}, samples={"checkpoints": 0})
    return cfg


def test_sigkill_mid_training_then_rerun_matches_uninterrupted(tmp_path):
    cfg = _resume_config()
    target = "results/unet/natural_patches/tiny/seed0/ckpt"
    steps = unet_training.checkpoint_steps(400, 6)
    ref, cut = tmp_path / "ref", tmp_path / "cut"
    snakemake(ref, cfg, target)

    # Build the data first, then start training and SIGKILL snakemake and the job together
    # (as a node failure or a SLURM timeout would) once a middle checkpoint is on disk.
    snakemake(cut, cfg, "results/data/natural_patches/train.npy")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "--directory", str(cut),
           "--configfile", str(cut / "config.yaml"), "--cores", "2", target]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    resume = cut / "results/unet/natural_patches/tiny/seed0/resume"
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
    assert not (cut / target).exists()

    snakemake(cut, cfg, "--unlock")
    snakemake(cut, cfg, target, "--rerun-incomplete")
    log = (cut / "results/logs/unet/natural_patches/tiny/seed0/train.log").read_text()
    assert "resuming from" in log and f"of {steps[-1]}" in log
    for s in steps:
        _assert_same_state(ref / target / f"step{s:07d}.pt", cut / target / f"step{s:07d}.pt")
