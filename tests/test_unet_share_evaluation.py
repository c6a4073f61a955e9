"""The U-Net checkpoint grid and its evaluation jobs: a dense grid at k uniform and
``fixed_k``, ``sparse_fixed_k`` at a few checkpoints, every seed of a run evaluated together
in at most ``evaluation.jobs`` jobs, and per-checkpoint tables reused from the cache."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from easy2hard.images import share_evaluation
from easy2hard.pipeline import config, cost
from easy2hard.pipeline.plan import images as images_plan

from .conftest import REPO, snakemake
from .test_unet import tiny_unet_config

RUN = "results/unet/natural_patches/tiny"


def _default_run() -> dict:
    return config.load(REPO / "config" / "config.yaml")["unet"]["runs"]["small"]


def test_default_grid_is_dense_early_with_three_seeds():
    """The default: >= 12 log-spaced checkpoints between steps 10 and 400 plus the end, three
    seeds, samples of seed 0 only, k = 800 at 4 checkpoints (the last among them)."""
    spec = _default_run()
    steps = images_plan.steps(spec)
    assert steps[0] == 10 and steps[-1] == spec["training"]["steps"]
    assert len([s for s in steps if 10 <= s <= 400]) >= 12
    assert spec["seeds"] == [0, 1, 2]
    assert {t.split("/seed")[1].split("/")[0] for t in images_plan.sample_tables(
        {"unet": {"runs": {"small": spec}}}, "r", spec["dataset"], "small")} == {"0"}
    ks = images_plan.step_ks(spec)
    with_800 = [s for s, k in ks.items() if 800 in k]
    assert len(with_800) == 4 and with_800[-1] == steps[-1]
    assert all(100 in k for k in ks.values())


@pytest.mark.parametrize("n_steps, jobs", [(16, 4), (3, 4), (7, 2), (1, 1)])
def test_shares_partition_the_checkpoints_stably(n_steps, jobs):
    """At most ``jobs`` shares, disjoint, covering every step, sizes within one; a checkpoint's
    share is its index mod jobs."""
    all_steps = list(range(10, 10 + n_steps))
    spec = {"external": {}, "training": {"steps": all_steps[-1]},
            "checkpoints": {"n": n_steps, "first": all_steps[0]}, "evaluation": {"jobs": jobs}}
    shares = images_plan.eval_shares(spec)
    assert len(shares) == min(jobs, n_steps)
    assert sorted(s for share in shares for s in share) == images_plan.steps(spec)
    assert max(map(len, shares)) - min(map(len, shares)) <= 1


def test_sparse_k_outside_the_schedule_names_its_key():
    cfg = tiny_unet_config()
    cfg["unet"]["runs"]["tiny"]["evaluation"]["sparse_fixed_k"] = [60]  # ddpm.T = 50
    with pytest.raises(config.ConfigError) as info:
        config.validate(cfg)
    assert "config key 'unet.runs.tiny.evaluation.sparse_fixed_k'" in str(info.value)


def test_cost_counts_every_seed_checkpoint_and_level():
    """The default's evaluation estimate: 3 seeds x (16 checkpoints x 2 levels + 4 at k = 800)."""
    jobs = [j for j in cost.estimate(config.load(REPO / "config" / "config.yaml"))["images"]
            if j.name.startswith("unet_evaluate ")]
    assert len(jobs) == 4
    levels = sum(int(re.search(r"(\d+) levels", j.work).group(1)) for j in jobs)
    assert levels == 3 * (16 * 2 + 4)


def test_cache_reuses_a_table_only_under_its_key(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return pd.DataFrame({"loss": [float(len(calls))]})

    first, hit = share_evaluation.cached_table(tmp_path, 7, "a", compute)
    again, hit_again = share_evaluation.cached_table(tmp_path, 7, "a", compute)
    assert (hit, hit_again) == (False, True) and again.equals(first) and len(calls) == 1
    other, hit_other = share_evaluation.cached_table(tmp_path, 7, "b", compute)
    assert not hit_other and other["loss"].item() == 2.0
    assert [p.name for p in tmp_path.glob("*.parquet")] == ["step0000007-b.parquet"]


def _share_config(jobs: int) -> dict:
    cfg = tiny_unet_config(checkpoints={"n": 5}, samples={"checkpoints": 0})
    cfg["unet"]["runs"]["tiny"]["evaluation"].update(fixed_k=[5], sparse_fixed_k=[40],
                                                     sparse_checkpoints=2, jobs=jobs)
    cfg["claims"] = {"enabled": False}
    return cfg


@pytest.fixture(scope="module")
def share_run(tmp_path_factory):
    """The tiny run (2 seeds, 5 checkpoints) evaluated in 2 jobs, then again in 3."""
    work = tmp_path_factory.mktemp("shares")
    targets = [f"{RUN}/losses.parquet", f"{RUN}/gaps.parquet",
               "results/figures/clone_losses_natural_patches.png"]
    first = snakemake(work, _share_config(2), *targets)
    before = pd.read_parquet(work / RUN / "losses.parquet")
    second = snakemake(work, _share_config(3), *targets)
    return work, first, before, second


def test_seeds_are_evaluated_together_in_at_most_jobs_jobs(share_run):
    work, first, before, _ = share_run
    assert re.search(r"unet_evaluate\s+2\b", first.stdout + first.stderr)
    assert sorted(before["seed"].unique()) == [0, 1]
    steps = images_plan.checkpoint_steps(30, 5)
    k40 = sorted(before.loc[before["t"] == "40", "step"].unique())
    assert k40 == [steps[0], steps[-1]]
    assert set(before.loc[before["step"] == steps[2], "t"]) == {"all", "5"}
    gaps = pd.read_parquet(work / RUN / "gaps.parquet")
    assert sorted(gaps.loc[gaps["t"] == "40", "step"].unique()) == k40
    assert gaps.loc[gaps["t"] == "40", "diff_to_test"].notna().all()
    assert (work / "results/figures/clone_losses_natural_patches.png").stat().st_size > 0


def test_other_shares_read_every_checkpoint_from_the_cache(share_run):
    """Three jobs instead of two rerun the evaluation jobs; each reads its checkpoints'
    tables from the cache (none evaluated again) and the merged losses are unchanged."""
    work, _, before, second = share_run
    assert re.search(r"unet_evaluate\s+3\b", second.stdout + second.stderr)
    logs = [(work / f"results/logs/unet/natural_patches/tiny/eval_share{j}.log").read_text()
            for j in range(3)]
    assert sum(log.count("read from the cache") for log in logs) == 2 * 5
    assert not any(" evaluated in " in log for log in logs)
    after = pd.read_parquet(work / RUN / "losses.parquet")
    pd.testing.assert_frame_equal(after, before)


def test_channels_last_evaluation_gives_the_same_losses(monkeypatch):
    """The evaluation's memory format (channels_last, half the CPU time) changes the losses of
    a U-Net by float32 round-off only."""
    torch = pytest.importorskip("torch")
    from easy2hard.core import ddpm
    from easy2hard.images import evaluation
    from easy2hard.images.unet import UNet

    torch.manual_seed(0)
    sets = {name: np.random.default_rng(i).standard_normal((12, 1, 16, 16)).astype(np.float32)
            for i, name in enumerate(("test", "meancov"))}
    sched = ddpm.Schedule(T=50)

    def losses():
        return evaluation.evaluate(UNet(1, 4, 2, 16), sets, 12, [5], sched, seed=0, batch=5)

    torch.manual_seed(1)
    fast = losses()
    monkeypatch.setattr(evaluation, "MEMORY_FORMAT", torch.contiguous_format)
    torch.manual_seed(1)
    plain = losses()
    assert evaluation.MEMORY_FORMAT is torch.contiguous_format
    np.testing.assert_allclose(fast["loss"], plain["loss"], rtol=1e-5)
    np.testing.assert_allclose(fast["diff_to_test"], plain["diff_to_test"], atol=1e-6)
