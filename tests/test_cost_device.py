"""The cost limit estimates with the device a job will use (``device: auto`` without CUDA is
the CPU), the overlap-SDE job is estimated from its budget and counted whenever the MCM
figures need it, and ``theory_dynamics`` writes progress lines (docs/reliability.md)."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from easy2hard.pipeline import config, cost
from easy2hard.theory import dynamics

from .conftest import REPO, load_test_config, tiny_config


def test_auto_device_without_cuda_refuses_a_long_training(monkeypatch):
    """config/paper.yaml (device: auto) trains U-Nets estimated at 44 days on a CPU: without
    CUDA the validation refuses them, naming the run and the device (before: accepted, and
    such a training ran with an ETA of years); with CUDA they pass."""
    monkeypatch.setattr(cost, "cuda_present", lambda: False)
    with pytest.raises(config.ConfigError) as info:
        config.load(REPO / "config" / "paper.yaml")
    text = str(info.value)
    assert "config key 'unet.runs.celeba.training'" in text, text
    assert "device: auto, no CUDA on this machine" in text, text
    monkeypatch.setattr(cost, "cuda_present", lambda: True)
    config.load(REPO / "config" / "paper.yaml")


def test_cuda_is_found_without_importing_torch():
    """Planning stays torch-free: the CUDA check reads the NVIDIA driver's files or runs
    nvidia-smi, and agrees with the driver's presence."""
    code = ("import sys; from easy2hard.pipeline import cost; "
            "print(cost.cuda_present(), cost.runs_on_cpu({'device': 'auto'}), "
            "'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout.split()
    driver = Path("/proc/driver/nvidia/version").exists()
    if driver:
        assert out[:2] == ["True", "False"], out
    assert out[0] != out[1] and out[2] == "False", out


def _sde_job(coef: float):
    cfg = tiny_config()
    cfg["mcm"]["sweeps"]["cum"]["n_max"] = {"coef": coef, "power": 1}
    jobs = [j for jobs in cost.estimate(config.validate(cfg)).values() for j in jobs]
    (job,) = [j for j in jobs if j.name == "theory_dynamics sweep=cum"]
    return job


def test_overlap_sde_estimate_grows_with_the_sample_budget():
    """A path's steps grow with its budget c n_max: 100x the budget is about 100x the paths'
    cost (before: the same estimate, and a 21-minute job estimated at seconds)."""
    start = cost.UNIT_COSTS["job_start"].seconds + cost.UNIT_COSTS["sde_start"].seconds
    table = cost.UNIT_COSTS["sde_table"].seconds
    small, large = _sde_job(2000.0), _sde_job(200000.0)
    assert (large.seconds - start - table) / (small.seconds - start - table) > 50


def test_theory_dynamics_writes_progress_lines(caplog):
    """The overlap-SDE job writes done/total SDE paths with rate and ETA to its log (before:
    an empty log for 21 minutes)."""
    spec = config.validate(load_test_config("mcm"))["mcm"]["sweeps"]["cum"]
    cells = [[8, 0.01, 40], [12, 0.01, 60]]
    with caplog.at_level(logging.INFO, logger="sde"):
        dynamics.predicted_curves(spec, cells, 4, 0, points=10, log=logging.getLogger("sde"),
                                  every=0.0)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("progress")]
    assert len(lines) == 2 * len(cells) + 1, lines  # each (N, form), then the last line
    assert lines[-1].startswith("progress 16/16 SDE paths (100.0 %)") and "ETA" in lines[-1]
