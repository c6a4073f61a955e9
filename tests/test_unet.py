"""The U-Net (docs/science.md §7), the checkpoint plan, the clone-loss evaluation and the pipeline."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from easy2hard.core import ddpm
from easy2hard.images import grid as image_grid
from easy2hard.pipeline.plan import images as unet_plan
from easy2hard.images.unet import UNet, n_parameters
from easy2hard.images.evaluation import evaluate

from .conftest import load_test_config

from .test_ddpm import GaussianOracle


def test_paper_size_parameter_count():
    """64-128-256-512-1024 with one input channel: 33.07 M, the paper's '33.2 M' to 0.4%."""
    n = n_parameters(UNet(in_channels=1, base_channels=64, depth=4, emb_dim=100))
    assert n == 33_071_144
    assert abs(n / 33.2e6 - 1) < 0.005


def test_width_and_depth_options():
    small = UNet(1, base_channels=8, depth=3)
    x, k = torch.randn(3, 1, 32, 32), torch.tensor([0, 10, 999])
    assert small(x, k).shape == x.shape
    assert UNet(1, 4, 1)(torch.randn(2, 1, 6, 6), k[:2]).shape == (2, 1, 6, 6)
    # Convolutions dominate: halving the width divides the parameter count by about 4.
    ratio = n_parameters(UNet(1, 32, 4)) / n_parameters(UNet(1, 64, 4))
    assert 0.24 < ratio < 0.26
    with pytest.raises(ValueError, match="divisible"):
        small(torch.randn(1, 1, 20, 20), k[:1])


def test_time_embedding_enters_the_output():
    torch.manual_seed(0)
    model = UNet(1, 4, 2).eval()
    x = torch.randn(2, 1, 8, 8)
    out0, out1 = model(x, torch.tensor([5, 5])), model(x, torch.tensor([500, 500]))
    assert not torch.allclose(out0, out1)


def test_checkpoint_steps_log_spaced():
    steps = unet_plan.checkpoint_steps(100_000, 30)
    assert len(steps) == 30 and steps[0] == 1 and steps[-1] == 100_000
    assert all(b > a for a, b in zip(steps, steps[1:]))
    ratios = np.diff(np.log(steps[10:]))  # past the crowded integer start: evenly spaced in log
    assert np.allclose(ratios, math.log(100_000) / 29, rtol=0.05)
    assert unet_plan.checkpoint_steps(5, 5) == [1, 2, 3, 4, 5]
    assert unet_plan.checkpoint_steps(1000, 3, first=10) == [10, 100, 1000]
    with pytest.raises(ValueError, match="checkpoints"):
        unet_plan.checkpoint_steps(4, 5)


def test_sample_steps_pick_evenly_with_last():
    spec = {"training": {"steps": 1000}, "checkpoints": {"n": 8, "first": 1}, "samples": {"checkpoints": 3}}
    steps = unet_plan.steps(spec)
    # indices round(i (8 - 1) / 2) for i = 0, 1, 2: 0, round(3.5) = 4 (to even), 7
    assert unet_plan.sample_steps(spec) == [steps[0], steps[4], steps[-1]]
    spec["samples"]["checkpoints"] = 1
    assert unet_plan.sample_steps(spec) == [1000]
    spec["samples"]["checkpoints"] = 0
    assert unet_plan.sample_steps(spec) == []


def test_image_table_round_trip_and_grid():
    x = np.random.default_rng(0).uniform(-1, 1, (5, 1, 3, 4)).astype(np.float32)
    table = image_grid.to_table(x, step=7)
    assert len(table) == 5 and (table["step"] == 7).all()
    assert np.array_equal(image_grid.from_table(table.sample(frac=1, random_state=0)), x)
    g = image_grid.grid(x, nrow=2, value_range=(-1, 1))
    assert g.shape == (3 * 4 - 1, 2 * 5 - 1) and g.min() >= 0 and g.max() <= 1


def _expected_oracle_loss(a, mu_fit, s_fit, mu_data, s_data):
    """E‖ε̂ - ε‖² per pixel for the Gaussian oracle fitted to N(mu_fit, s_fit²) on N(mu_data, s_data²)."""
    c = math.sqrt(1 - a) / (a * s_fit**2 + 1 - a)
    return c**2 * a * (s_data**2 + (mu_data - mu_fit) ** 2) + (c * math.sqrt(1 - a) - 1) ** 2


def test_evaluation_matches_closed_form_and_common_random_numbers():
    sched = ddpm.Schedule()
    ab = sched.alpha_bar()
    rng = np.random.default_rng(0)
    n, shape = 1500, (1, 4, 4)
    sets = {"test": (0.2 + 0.5 * rng.standard_normal((n, *shape))).astype(np.float32),
            "meancov": (0.2 + 0.5 * rng.standard_normal((n, *shape))).astype(np.float32),
            "mean": (0.2 + 1.0 * rng.standard_normal((n, *shape))).astype(np.float32)}
    sets["copy"] = sets["test"].copy()
    df = evaluate(GaussianOracle(0.2, 0.5, ab), sets, n_images=1000, fixed_k=[100, 500], schedule=sched,
                  seed=3, batch=128)
    assert set(df["t"]) == {"all", "100", "500"} and (df["n_images"] == 1000).all()
    assert len(df) == 4 * 3
    for row in df[df["t"] != "all"].itertuples():
        a = float(ab[int(row.t)])
        s = 1.0 if row.set == "mean" else 0.5
        expected = _expected_oracle_loss(a, 0.2, 0.5, 0.2, s)
        assert abs(row.loss - expected) < 5 * row.loss_se, row
    copy = df[df["set"] == "copy"]
    assert (copy["diff_to_test"] == 0).all() and (copy["diff_to_test_se"] == 0).all()
    # Same law as test: the paired difference is zero within 5 s.e.; with k uniform, where
    # the shared k dominates each image's loss, the common random numbers make its s.e.
    # far smaller than that of the loss itself.
    same = df[df["set"] == "meancov"]
    assert (same["diff_to_test"].abs() < 5 * same["diff_to_test_se"]).all()
    uniform = same[same["t"] == "all"].iloc[0]
    assert uniform["diff_to_test_se"] < 0.5 * uniform["loss_se"]
    # A wider law: the difference is the closed-form one, within 5 s.e.
    for row in df[(df["set"] == "mean") & (df["t"] != "all")].itertuples():
        a = float(ab[int(row.t)])
        d = _expected_oracle_loss(a, 0.2, 0.5, 0.2, 1.0) - _expected_oracle_loss(a, 0.2, 0.5, 0.2, 0.5)
        assert abs(row.diff_to_test - d) < 5 * row.diff_to_test_se


def test_evaluation_rejects_bad_k_and_missing_test():
    sched = ddpm.Schedule(T=10)
    x = np.zeros((4, 1, 2, 2), np.float32)
    model = GaussianOracle(0.0, 1.0, sched.alpha_bar())
    with pytest.raises(ValueError, match="outside"):
        evaluate(model, {"test": x}, 4, [10], sched, seed=0)
    with pytest.raises(ValueError, match="'test'"):
        evaluate(model, {"train": x}, 4, [], sched, seed=0)


def tiny_unet_config(**run) -> dict:
    """config/test/images.yaml, with ``run`` keys replacing those of its run ``tiny``."""
    cfg = load_test_config("images")
    cfg["unet"]["runs"]["tiny"].update(run)
    return cfg


def test_pipeline_tables_and_figures(run_workflow):
    cfg = tiny_unet_config()
    targets = unet_plan.targets(cfg | {"unet": {"runs": {"tiny": _filled(cfg)}}}, "results")
    run_workflow(cfg, *targets)
    root = run_workflow.workdir / "results"
    df = pd.read_parquet(root / "unet/natural_patches/tiny/losses.parquet")
    steps = unet_plan.checkpoint_steps(30, 3)
    assert {"dataset", "run", "seed", "step", "set", "t", "loss", "loss_se", "n_images",
            "diff_to_test", "diff_to_test_se"} <= set(df.columns)
    assert len(df) == 2 * len(steps) * 5 * 3
    assert sorted(df["step"].unique()) == steps and set(df["t"]) == {"all", "5", "40"}
    assert set(df["set"]) == {"train", "test", "mean", "meancov", "mean_iso"}
    assert (df["n_images"] == 20).all() and np.isfinite(df["loss"]).all()
    assert (df.loc[df["set"] == "test", "diff_to_test"] == 0).all()
    assert not df.duplicated(["seed", "step", "set", "t"]).any()
    # the reference denoisers, on the same images: constant over checkpoints, and the
    # U-Net's gap minus the Wiener gap is the difference of the two gaps
    assert (df.groupby(["seed", "set", "t"])["wiener_loss"].nunique() == 1).all()
    assert np.allclose(df["diff_minus_wiener"], df["diff_to_test"] - df["wiener_diff_to_test"])
    train = df[df["set"] == "train"]
    assert (train["empirical_loss"] < train["wiener_loss"]).all()  # it memorises its training set
    gaps = pd.read_parquet(root / "unet/natural_patches/tiny/gaps.parquet")
    assert len(gaps) == len(steps) * 4 * 3 and (gaps["n_seeds"] == 2).all()
    memo = pd.read_parquet(root / "unet/natural_patches/tiny/memorisation.parquet")
    assert list(memo["source"]) == ["samples", "samples", "test"] and (memo["n"].iloc[:2] == 4).all()
    # Two seeds train two different networks.
    last = df[(df["step"] == 30) & (df["set"] == "test") & (df["t"] == "all")]
    assert last["loss"].nunique() == 2
    samples = pd.read_parquet(root / "unet/natural_patches/tiny/samples.parquet")
    assert sorted(samples["step"].unique()) == [1, 30] and len(samples) == 2 * 4
    for name in ("clone_losses_natural_patches", "samples_natural_patches",
                 "memorisation_natural_patches", "clone_examples_natural_patches"):
        for ext in ("pdf", "png"):
            assert (root / f"figures/{name}.{ext}").stat().st_size > 1000
    assert (root / "unet/natural_patches/tiny/seed0/samples/step30.png").exists()
    # A rerun does nothing.
    out = run_workflow(cfg, *targets, "-n")
    assert "Nothing to be done" in out.stdout + out.stderr


def _filled(cfg):
    from easy2hard.pipeline import config

    return config.validate(cfg)["unet"]["runs"]["tiny"]


def test_run_with_wrong_dataset_in_path_is_refused(run_workflow):
    proc = run_workflow(tiny_unet_config(), "results/unet/cifar10/tiny/losses.parquet", "-n", check=False)
    assert proc.returncode != 0
    assert "unet.runs.tiny.dataset" in proc.stdout + proc.stderr
