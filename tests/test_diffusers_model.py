"""A diffusers UNet2DModel as the U-Net of a run (unet.runs.<run>.model.kind: diffusers)."""

from __future__ import annotations

import copy
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from easy2hard.core import ddpm
from easy2hard.images import diffusers_unet, training
from easy2hard.pipeline import config as e2h_config
from easy2hard.pipeline import plan

from .conftest import REPO, load_test_config, snakemake

TINY_DIFFUSERS = {"kind": "diffusers", "diffusers": {
    "block_out_channels": [8, 16], "layers_per_block": 1, "attention": [False, True],
    "norm_num_groups": 4}}


def diffusers_config() -> dict:
    """config/test/images.yaml with its tiny run on a tiny diffusers UNet2DModel."""
    cfg = load_test_config("images")
    run = cfg["unet"]["runs"]["tiny"]
    run.update(model=copy.deepcopy(TINY_DIFFUSERS), seeds=[0], samples={"checkpoints": 1, "n": 4})
    run["evaluation"]["sets"] = ["train", "test", "meancov"]
    return cfg


@pytest.mark.parametrize("T,beta_min,beta_max", [(1000, 1e-4, 0.02), (50, 1e-4, 0.02),
                                                 (200, 1e-3, 0.05)])
def test_scheduler_alpha_bar_is_the_projects(T, beta_min, beta_max):
    spec = {"T": T, "beta_min": beta_min, "beta_max": beta_max}
    theirs = diffusers_unet.scheduler(spec).alphas_cumprod
    ours = ddpm.Schedule(T, beta_min, beta_max).alpha_bar()
    assert theirs.dtype == torch.float32 and theirs.shape == ours.shape
    np.testing.assert_allclose(theirs.numpy(), ours.float().numpy(), rtol=4e-6, atol=0)


def test_model_predicts_noise_shaped_like_the_image():
    spec = {**TINY_DIFFUSERS, "T": 50}
    torch.manual_seed(0)
    model = training.build_model(spec, in_channels=1)
    from diffusers import UNet2DModel

    assert isinstance(model.unet, UNet2DModel)
    assert [type(b).__name__ for b in model.unet.down_blocks] == ["DownBlock2D", "AttnDownBlock2D"]
    x = torch.randn(3, 1, 16, 16)
    assert model(x, torch.tensor([0, 10, 49])).shape == x.shape


def test_paper_runs_keep_their_params_and_bad_levels_are_refused():
    cfg = e2h_config.validate(load_test_config("images"))
    assert "kind" not in plan.images.train_spec(cfg["unet"]["runs"]["tiny"])
    bad = diffusers_config()
    bad["unet"]["runs"]["tiny"]["model"]["diffusers"]["block_out_channels"] = [8, 8, 8, 8, 8, 8]
    with pytest.raises(e2h_config.ConfigError, match=r"model\.diffusers\.block_out_channels"):
        e2h_config.validate(bad)


def test_planning_does_not_import_diffusers(tmp_path):
    code = ("import sys, yaml; from easy2hard.pipeline import config, plan; "
            f"cfg = config.load({str(tmp_path / 'c.yaml')!r}); plan.final_output(cfg); "
            "print('diffusers' in sys.modules)")
    import yaml

    (tmp_path / "c.yaml").write_text(yaml.safe_dump(diffusers_config()))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO)
    assert out.returncode == 0 and out.stdout.strip().endswith("False"), out.stdout + out.stderr[-2000:]


def test_diffusers_run_trains_and_evaluates_end_to_end(tmp_path):
    cfg = diffusers_config()
    gaps = "results/unet/natural_patches/tiny/gaps.parquet"
    snakemake(tmp_path, cfg, gaps, "results/unet/natural_patches/tiny/samples.parquet")
    table = pd.read_parquet(tmp_path / gaps)
    # every gap the run's sets define is finite (the twins' columns are empty without twin
    # sets, and a seed s.e. needs two seeds)
    defined = [c for c in table.select_dtypes("number") if "twin" not in c
               and not c.endswith("seed_se")]
    assert "meancov" in set(table["set"]) and np.isfinite(table[defined]).all().all()
    ckpt = sorted((tmp_path / "results/unet/natural_patches/tiny/seed0/ckpt").glob("*.pt"))[-1]
    spec = plan.images.train_spec(e2h_config.validate(cfg)["unet"]["runs"]["tiny"])
    assert type(training.load_model(ckpt, spec).unet).__name__ == "UNet2DModel"
