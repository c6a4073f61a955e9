"""Checkpoints trained elsewhere (unet.runs.<run>.external): tiny random UNet2DModels saved by
the test with save_pretrained as diffusers' training scripts save them, checked when planned
(a wrong scheduler is one error naming both values) and evaluated end to end."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import pandas as pd
import pytest
import torch

from easy2hard.images import external
from easy2hard.pipeline import config as e2h_config
from easy2hard.pipeline import plan

from .conftest import REPO, load_test_config, snakemake

STEPS = (10, 20, 30)
TINY_UNET = {"sample_size": 16, "in_channels": 1, "out_channels": 1, "layers_per_block": 1,
             "block_out_channels": (8, 16), "norm_num_groups": 4,
             "down_block_types": ("DownBlock2D", "AttnDownBlock2D"),
             "up_block_types": ("AttnUpBlock2D", "UpBlock2D")}


def save_unet(folder, seed: int, **over):
    from diffusers import UNet2DModel

    torch.manual_seed(seed)
    model = UNet2DModel(**{**TINY_UNET, **over})
    model.save_pretrained(folder)
    return model


def save_scheduler(root, T: int):
    from diffusers import DDPMScheduler

    DDPMScheduler(num_train_timesteps=T, beta_start=1e-4, beta_end=0.02).save_pretrained(
        root / "scheduler")


def save_checkpoints(root, steps=STEPS, T: int | None = 50, **over) -> None:
    """``checkpoint-<step>/unet`` and ``unet_ema`` (other weights), and a scheduler config
    of ``T`` steps (none when T is None)."""
    for step in steps:
        save_unet(root / f"checkpoint-{step}" / "unet", step, **over)
        save_unet(root / f"checkpoint-{step}" / "unet_ema", 1000 + step, **over)
    if T is not None:
        save_scheduler(root, T)


def external_config(path, weights="ema") -> dict:
    """config/test/images.yaml with its tiny run evaluating the checkpoints under ``path``."""
    cfg = load_test_config("images")
    run = cfg["unet"]["runs"]["tiny"]
    run.update(external={"path": str(path), "weights": weights}, seeds=[0],
               samples={"checkpoints": 2, "n": 4})
    run["evaluation"] = {**run["evaluation"], "sets": ["train", "test", "meancov"],
                         "reference": ["wiener"]}
    return cfg


def planned(cfg: dict) -> list[str]:
    return plan.external.folder_problems(e2h_config.validate(cfg))


def test_three_checkpoints_are_found_and_a_wrong_scheduler_is_one_error(tmp_path):
    save_checkpoints(tmp_path / "good")
    cfg = e2h_config.validate(external_config(tmp_path / "good"))
    spec = cfg["unet"]["runs"]["tiny"]
    assert plan.images.steps(spec) == list(STEPS) and plan.images.sample_steps(spec) == []
    assert plan.external.folder_problems(cfg) == []
    save_checkpoints(tmp_path / "wrong", steps=(10,), T=1000)
    [msg] = planned(external_config(tmp_path / "wrong"))
    assert "unet.runs.tiny.ddpm.T' is 50" in msg and "num_train_timesteps 1000" in msg
    assert str(tmp_path / "wrong" / "scheduler" / "scheduler_config.json") in msg


def test_model_config_and_missing_weights_are_named(tmp_path):
    save_checkpoints(tmp_path / "rgb", steps=(5,), in_channels=3, out_channels=3)
    msgs = planned(external_config(tmp_path / "rgb"))
    assert len(msgs) == 2 and all("has channels 1" in m for m in msgs)
    assert any("in_channels 3" in m for m in msgs) and any("out_channels 3" in m for m in msgs)
    save_unet(tmp_path / "raw_only" / "unet", 0)
    [msg] = planned(external_config(tmp_path / "raw_only"))
    assert "unet.runs.tiny.external.weights" in msg and "unet_ema/config.json" in msg
    assert planned(external_config(tmp_path / "raw_only", weights="raw")) == []
    [msg] = planned(external_config(tmp_path / "nowhere"))
    assert "unet.runs.tiny.external.path" in msg and "not a folder" in msg


def test_several_seeds_are_refused_by_the_validator(tmp_path):
    cfg = external_config(tmp_path)
    cfg["unet"]["runs"]["tiny"]["seeds"] = [0, 1]
    with pytest.raises(e2h_config.ConfigError, match=r"unet\.runs\.tiny\.seeds.*one seed"):
        e2h_config.validate(cfg)


def test_loaded_model_is_the_saved_one_ema_or_raw(tmp_path):
    save_checkpoints(tmp_path, steps=(7,), T=None)
    x, k = torch.randn(2, 1, 16, 16), torch.tensor([3, 40])
    for weights, seed in (("ema", 1007), ("raw", 7)):
        folder = external.checkpoints({"path": str(tmp_path), "weights": weights, "step": 1})[7]
        saved = save_unet(tmp_path / "copy", seed).eval()
        with torch.no_grad():
            torch.testing.assert_close(external.load_model(folder)(x, k), saved(x, k).sample)
    assert "ddpm block" in external.scheduler_note({"path": str(tmp_path)})


PROBE = """
import json, sys, yaml
from easy2hard.pipeline import config, plan
cfg = config.validate(yaml.safe_load(open(sys.argv[1])))
plan.final_output(cfg)
assert plan.external.folder_problems(cfg) == []
print(json.dumps(sorted(m for m in ("torch", "diffusers") if m in sys.modules)))
"""


def test_planning_reads_json_only(tmp_path):
    save_checkpoints(tmp_path / "ckpts")
    (tmp_path / "cfg.yaml").write_text(json.dumps(external_config(tmp_path / "ckpts")))
    proc = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "cfg.yaml")],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == []


TARGETS = ["results/unet/natural_patches/tiny/gaps.parquet",
           "results/figures/clone_losses_natural_patches.png", "results/claims/images.parquet"]


@pytest.fixture(scope="module")
def external_run(tmp_path_factory):
    """The tiny run on three external checkpoints, planned with a wrong scheduler first."""
    work = tmp_path_factory.mktemp("external")
    save_checkpoints(work / "wrong", steps=(10,), T=1000)
    refused = snakemake(work, external_config(work / "wrong"), "-n", *TARGETS, check=False)
    save_checkpoints(work / "ckpts")
    cfg = external_config(work / "ckpts")
    done = snakemake(work, cfg, *TARGETS)
    return work, cfg, refused, done


def test_wrong_scheduler_stops_the_workflow_before_any_job(external_run):
    _, _, refused, _ = external_run
    text = refused.stdout + refused.stderr
    assert refused.returncode != 0 and "num_train_timesteps 1000" in text
    assert "ddpm.T' is 50" in text and "Job stats" not in text


def test_checkpoints_are_evaluated_like_trained_ones(external_run):
    work, _, _, done = external_run
    assert "unet_train" not in done.stdout + done.stderr
    assert "rule unet_evaluate_external" in done.stdout + done.stderr
    losses = pd.read_parquet(work / "results/unet/natural_patches/tiny/losses.parquet")
    assert sorted(losses["step"].unique()) == list(STEPS)
    assert {"train", "test", "meancov"} <= set(losses["set"]) and "wiener_loss" in losses
    claims = pd.read_parquet(work / "results/claims/images.parquet").set_index("id")
    assert claims.loc["images.unet_beats_wiener", "n_seeds"] == 1
    from diffusers import UNet2DModel

    count = f"{UNet2DModel(**TINY_UNET).num_parameters():,}".replace(",", " ")
    model = pd.read_parquet(work / "results/unet/natural_patches/tiny/model.parquet").iloc[0]
    assert (model["kind"], model["first_step"], model["last_step"]) == ("external", 10, 30)
    assert claims.loc["images.unet_beats_wiener", "reason"].startswith(
        f"[data natural_patches, run tiny: external U-Net, {count} parameters, steps 10–30 "
        f"(3 checkpoints), {work / 'ckpts'} (ema weights)]")
    log = (work / "results/logs/unet/natural_patches/tiny/seed0/eval_step10.log").read_text()
    assert "scheduler config" in log and "checkpoint-10/unet_ema" in log


def test_an_added_checkpoint_reruns_only_its_evaluation(external_run):
    work, cfg, _, _ = external_run
    save_checkpoints(work / "ckpts", steps=(40,), T=50)
    dry = snakemake(work, cfg, "-n", *TARGETS)
    stats = (dry.stdout + dry.stderr).split("Job stats:")[1].split("\n\n")[0]
    counts = dict(line.split()[:2] for line in stats.splitlines()[3:] if line.strip())
    assert counts["unet_evaluate_external"] == "1" and counts["unet_losses"] == "1"
    assert not {"unet_reference", "unet_train", "unet_evaluate", "data_splits"} & set(counts)


def test_a_paper_run_is_described_with_its_parameter_count():
    from easy2hard.images import description, training

    cfg = e2h_config.validate(load_test_config("images"))
    spec = cfg["unet"]["runs"]["tiny"]
    row = description.describe("natural_patches", "tiny", spec, 1, plan.images.steps(spec)).iloc[0]
    n = training.n_parameters(training.build_model(plan.images.train_spec(spec), 1))
    assert (row["kind"], row["n_parameters"], row["last_step"]) == ("paper", n, 30)
    assert "trained by the pipeline" in row["text"]


EXAMPLE = REPO / "config" / "examples" / "own_model.yaml"


def test_example_validates_without_its_model_and_fits_the_ddpm_model(tmp_path):
    import yaml

    raw = yaml.safe_load(EXAMPLE.read_text())
    cfg = e2h_config.validate(copy.deepcopy(raw))
    assert plan.external.folder_problems(cfg)  # the model is missing: reported when planned
    # a model folder laid out as google/ddpm-cifar10-32 (tiny weights, its config's sizes)
    save_unet(tmp_path, 0, in_channels=3, out_channels=3, sample_size=32)
    from diffusers import DDPMScheduler

    DDPMScheduler().save_config(tmp_path)  # the DDPM defaults: T 1000, β 1e-4..0.02, linear
    raw["unet"]["runs"]["ddpm_cifar10"]["external"]["path"] = str(tmp_path)
    cfg = e2h_config.validate(raw)
    assert plan.external.folder_problems(cfg) == []
    assert plan.images.steps(cfg["unet"]["runs"]["ddpm_cifar10"]) == [800000]


class Payload:
    """An object whose unpickling would run code (``os.system`` in a real attack)."""

    def __reduce__(self):
        return (print, ("unpickled code ran",))


def test_bin_weights_load_as_tensors_only(tmp_path):
    from diffusers import UNet2DModel

    torch.manual_seed(3)
    model = UNet2DModel(**TINY_UNET)
    model.save_pretrained(tmp_path / "bin", safe_serialization=False)
    assert external.weights_file(tmp_path / "bin").name == "diffusion_pytorch_model.bin"
    loaded = external.load_weights(tmp_path / "bin")
    assert all(torch.equal(loaded[k], v) for k, v in model.state_dict().items())
    torch.save({"conv_in.weight": Payload()}, tmp_path / "bin" / "diffusion_pytorch_model.bin")
    with pytest.raises(Exception, match="[Ww]eights only load failed|Unsupported"):
        external.load_weights(tmp_path / "bin")
