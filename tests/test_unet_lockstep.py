"""Seeds of a U-Net run trained together in lockstep (easy2hard.images.lockstep) against each
seed trained alone with the plain U-Net, and their resumption after a kill.

Measured divergence (tiny U-Net of SPEC, 8x8 images, 1 torch thread, CPU; float32 eps is
1.2e-7): the grouped forward pass equals each seed's plain one to 5.3e-7 of its largest
output, the first-step gradients to 7.8e-7 of the network's largest gradient entry (1.2e-5
of the largest entry of the worst tensor, a time-MLP bias whose gradient is a sum that
cancels); the initial weights are equal bit for bit. After 1 and after 40 Adam steps the
weights of a seed trained in lockstep differ from the seed alone by at most 1.6e-5 of each
tensor's largest entry (Adam's first steps move every weight by about ±lr whatever the
gradient's size, so the round-off of near-zero gradients shows from step 1 and then stays
at that size). Between groups ({0, 1, 2} against {2, 1}) a seed differs by at most 2.0e-6.
On the default model (base 8, depth 3, batch 32 on 32x32) round-off grows with training, as
for any change of summation order: after 42 steps a seed in lockstep differs from the seed
alone by up to 0.55 of a tensor's largest entry, the seed alone on 1 against 2 threads by
0.27 (benchmarks/unet_lockstep.py, docs/stages/images.md); hence the tiny model and 40 steps. The tolerances below are 6 to 10 times those numbers; two different seeds
differ by order 1.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from easy2hard.core import ddpm
from easy2hard.core.tables import load_torch, sha256
from easy2hard.images import grouped_unet, lockstep, training
from easy2hard.images.unet import UNet

from .conftest import REPO
from .test_unet_resume import SPEC, settings

IMAGES = np.random.default_rng(0).uniform(-1, 1, (32, 1, 8, 8)).astype(np.float32)
GRID = [1, 2, 5, 10, 20, 40]
WEIGHT_TOL = 1e-4    # lockstep against alone, relative to each tensor's largest entry
GRADIENT_TOL = 5e-6  # first-step gradients, relative to the network's largest gradient entry
FORWARD_TOL = 5e-6   # forward pass, relative to the largest output


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _relative(a: dict, b: dict) -> float:
    """Largest difference of any tensor of ``a`` and ``b``, relative to that tensor's largest entry."""
    return max(float((a[k].double() - b[k].double()).abs().max() / a[k].double().abs().max().clamp(min=1e-30))
               for k in a if a[k].is_floating_point())


def _weights(folder, step) -> dict:
    return load_torch(training.state_path(folder, step))["model"]


def _models(seeds) -> list[UNet]:
    out = []
    for s in seeds:
        torch.manual_seed(s)
        out.append(UNet(1, SPEC["base_channels"], SPEC["depth"], SPEC["emb_dim"]).train())
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Seeds trained in the groups {0, 1, 2} and {2, 1}, and seed 1 alone: {name: {seed: folder}}."""
    root = tmp_path_factory.mktemp("lockstep")
    out = {}
    for name, seeds in (("012", [0, 1, 2]), ("21", [2, 1]), ("1", [1])):
        out[name] = {s: root / name / f"seed{s}" for s in seeds}
        lockstep.train_group(IMAGES, settings(), seeds, list(out[name].values()), GRID, progress=False)
    return out


def test_conversions_to_and_from_plain_unets_are_exact():
    models = _models([0, 1, 2])
    grouped = grouped_unet.from_unets(models)
    for model, state in zip(models, grouped_unet.to_state_dicts(grouped)):
        assert state.keys() == model.state_dict().keys()
        assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    names = grouped_unet.parameter_names(grouped)
    assert names == grouped_unet.parameter_names(models[0])
    opt = torch.optim.Adam(grouped.parameters(), lr=1e-3)
    for p in grouped.parameters():
        p.grad = torch.randn_like(p)
    opt.step()
    plain = grouped_unet.split_adam(opt.state_dict(), names, 3)
    back = grouped_unet.stack_adam(plain, names)
    for i, entry in opt.state_dict()["state"].items():
        assert all(torch.equal(back["state"][i][key], value) for key, value in entry.items())
    # Seed 1's moments are the second channel block of the first conv's (a shifted block fails).
    conv = names.index("down.0.0.weight")
    width = SPEC["base_channels"]
    assert torch.equal(plain[1]["state"][conv]["exp_avg"],
                       opt.state_dict()["state"][conv]["exp_avg"][width:2 * width])


def test_forward_and_first_gradients_equal_each_seed_alone():
    """The grouped network on seed g's batch in block g gives seed g's output and gradients."""
    models = _models([0, 1, 2])
    grouped = grouped_unet.from_unets(models)
    gen = torch.Generator().manual_seed(0)
    x0 = torch.rand(4, 3, 8, 8, generator=gen) * 2 - 1
    eps = torch.randn(4, 3, 8, 8, generator=gen)
    k = torch.randint(0, SPEC["T"], (3, 4), generator=gen)
    alpha_bar = ddpm.Schedule(SPEC["T"], SPEC["beta_min"], SPEC["beta_max"]).alpha_bar()
    with torch.no_grad():
        out = grouped(x0, k)
    lockstep.grouped_loss(grouped, x0, k, eps, alpha_bar).backward()
    grads = grouped_unet.split_adam(  # the same split as Adam's moments
        {"state": {i: {"exp_avg": p.grad} for i, p in enumerate(grouped.parameters())},
         "param_groups": []}, grouped_unet.parameter_names(grouped), 3)
    for g, model in enumerate(models):
        with torch.no_grad():
            alone = model(x0[:, g:g + 1], k[g])
        assert float((alone - out[:, g:g + 1]).abs().max() / alone.abs().max()) < FORWARD_TOL
        ddpm.per_image_loss(model, x0[:, g:g + 1], k[g], eps[:, g:g + 1], alpha_bar).mean().backward()
        own = torch.cat([p.grad.flatten() for p in model.parameters()]).double()
        lock = torch.cat([s["exp_avg"].flatten() for _, s in sorted(grads[g]["state"].items())])
        assert float((own - lock.double()).abs().max() / own.abs().max()) < GRADIENT_TOL


def test_seed_in_lockstep_equals_the_seed_alone(runs):
    """Seed 1 of the group {0, 1, 2} and seed 1 trained alone (the plain trainer) agree to
    WEIGHT_TOL at every checkpoint up to step 40; seeds 1 and 2 differ by order 1."""
    for step in GRID:
        lock, alone = _weights(runs["012"][1], step), _weights(runs["1"][1], step)
        assert _relative(alone, lock) < WEIGHT_TOL, step
    assert _relative(_weights(runs["1"][1], 40), _weights(runs["012"][2], 40)) > 0.1


def test_trajectory_does_not_depend_on_the_group(runs):
    """Seeds 1 and 2 trained in {0, 1, 2}, in {2, 1} and (seed 1) alone agree to WEIGHT_TOL
    at every checkpoint. Measured: at most 2.0e-6 between the two groups (a seed's channel
    block at another position can round differently: seed 2, last in {0, 1, 2}, first in
    {2, 1}), 1.6e-5 against the seed alone. Each state's fingerprint names its group, so a
    resume never mixes them."""
    for seed, groups in ((1, ("21", "1")), (2, ("21",))):
        for step in GRID:
            ref = _weights(runs["012"][seed], step)
            for group in groups:
                assert _relative(ref, _weights(runs[group][seed], step)) < WEIGHT_TOL, (seed, group, step)
    fps = {g: load_torch(training.state_path(runs[g][1], 40))["fingerprint"] for g in runs}
    assert (fps["012"]["group"], fps["21"]["group"], "group" in fps["1"]) == ([0, 1, 2], [2, 1], False)


def test_checkpoints_load_into_the_plain_unet(runs):
    model = training.load_model(training.state_path(runs["012"][2], 40), SPEC)
    assert isinstance(model, UNet)
    assert all(torch.equal(v, _weights(runs["012"][2], 40)[k]) for k, v in model.state_dict().items())


def _digests(folders: dict) -> dict:
    return {(s, p.name): sha256(p) for s, f in folders.items() for p in sorted(f.glob("step*.pt"))}


def test_uneven_states_resume_from_the_newest_common_step(runs, tmp_path, caplog):
    """Killed between two seeds' writes: seed 2 lacks the last two states, seed 0 the last
    one; the group resumes from step 10 and ends with the uninterrupted bytes."""
    folders = {s: tmp_path / f"seed{s}" for s in (0, 1, 2)}
    for s, folder in folders.items():
        shutil.copytree(runs["012"][s], folder)
    for s, gone in ((2, GRID[-2:]), (0, GRID[-1:])):
        for step in gone:
            training.state_path(folders[s], step).unlink()
    with caplog.at_level("INFO"):
        lockstep.train_group(IMAGES, settings(), [0, 1, 2], list(folders.values()), GRID, progress=False)
    assert f"resuming from {training.state_path(folders[0], 10)}" in caplog.text
    assert _digests(folders) == _digests(runs["012"])


KILL_SCRIPT = """
import json, sys, numpy as np, torch
from easy2hard.images import lockstep
from easy2hard.images.settings import TrainerSettings
torch.set_num_threads(1)
images = np.random.default_rng(0).uniform(-1, 1, (32, 1, 8, 8)).astype(np.float32)
settings = TrainerSettings.from_spec(json.loads(sys.argv[1]))
grid = [int(s) for s in sys.argv[2].split(",")]
lockstep.train_group(images, settings, [0, 1, 2], sys.argv[3:], grid, progress=False)
"""


def _train_and_kill(folders, steps, grid, wait_for):
    """Train the group in a new process and SIGKILL it once ``wait_for`` exists."""
    cmd = [sys.executable, "-c", KILL_SCRIPT, json.dumps({**SPEC, "steps": steps}),
           ",".join(map(str, grid)), *map(str, folders)]
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.time() + 300
    try:
        while not wait_for.exists():
            assert proc.poll() is None, "training ended before it could be killed"
            assert time.time() < deadline, "no checkpoint appeared"
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def test_group_resumes_bit_identically_after_sigkill(tmp_path):
    """A group SIGKILLed (in its own process, 1 torch thread as here) once seed 0's third
    checkpoint is on disk, rerun, ends with the bytes of an uninterrupted run (every seed's
    every state)."""
    steps, grid = 200, training.checkpoint_steps(200, 5)
    ref = [tmp_path / "ref" / f"seed{s}" for s in (0, 1, 2)]
    cut = [tmp_path / "cut" / f"seed{s}" for s in (0, 1, 2)]
    lockstep.train_group(IMAGES, settings(steps=steps), [0, 1, 2], ref, grid, progress=False)
    _train_and_kill(cut, steps, grid, wait_for=training.state_path(cut[0], grid[2]))
    assert not training.state_path(cut[2], grid[-1]).exists(), "killed too late to test resuming"
    lockstep.train_group(IMAGES, settings(steps=steps), [0, 1, 2], cut, grid, progress=False)
    assert _digests(dict(enumerate(cut))) == _digests(dict(enumerate(ref)))
    assert len(_digests(dict(enumerate(ref)))) == 3 * len(grid)


def test_states_trained_alone_are_set_aside_by_a_group(runs, tmp_path, caplog):
    """Seed 1's states trained alone (equal to the group's only to round-off) are not
    resumed in the group {0, 1, 2}: set aside, one line naming the group."""
    folders = {s: tmp_path / f"seed{s}" for s in (0, 1, 2)}
    shutil.copytree(runs["1"][1], folders[1])
    with caplog.at_level("INFO"):
        lockstep.train_group(IMAGES, settings(), [0, 1, 2], list(folders.values()), GRID, progress=False)
    assert "fingerprint differs in group" in caplog.text and "training from scratch" in caplog.text
    assert _digests(folders) == _digests(runs["012"])
    assert _digests({1: folders[1] / training.SET_ASIDE / "1"}) == _digests(runs["1"])


def test_trainer_settings_from_the_validated_run_block():
    """The trainer's frozen settings built from a validated run block give back the flat
    dict the U-Net rules pass (train_spec); an unknown key is an error naming it."""
    import dataclasses

    from easy2hard.images.settings import TrainerSettings
    from easy2hard.pipeline.config import validate
    from easy2hard.pipeline.plan import images as images_plan

    from .test_unet import tiny_unet_config

    run = validate(tiny_unet_config())["unet"]["runs"]["tiny"]
    built = TrainerSettings.from_run(run)
    assert built == TrainerSettings.from_spec(images_plan.train_spec(run))
    assert built.spec() == images_plan.train_spec(run)
    assert (built.optim.steps, built.model.depth) == (run["training"]["steps"], run["model"]["depth"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.optim.lr = 1.0
    with pytest.raises(ValueError, match="'lr_typo'"):
        TrainerSettings.from_spec({**SPEC, "lr_typo": 1.0})


def test_publication_checks_each_state_against_the_run_manifest(runs, tmp_path):
    """A seed's published folder holds its states (hard links) and their SHA256SUMS; a
    state changed after the run's manifest was written stops the publication, naming both."""
    from easy2hard.images import checkpoints

    run_dir = tmp_path / "run"
    for s in (0, 1, 2):
        shutil.copytree(runs["012"][s], run_dir / f"seed{s}" / "resume")
    manifest = checkpoints.write_run_manifest(run_dir, [run_dir / f"seed{s}" / "resume" for s in (0, 1, 2)], GRID)
    out = checkpoints.publish(manifest, "seed1", run_dir / "seed1" / "ckpt")
    assert sorted(p.name for p in out.iterdir()) == sorted([checkpoints.MANIFEST] + [f"step{s:07d}.pt" for s in GRID])
    for step in GRID:
        assert checkpoints.verify_checkpoint(checkpoints.state_path(out, step)).stat().st_nlink == 2
    state = checkpoints.state_path(run_dir / "seed2" / "resume", GRID[-1])
    state.write_bytes(checkpoints.state_path(run_dir / "seed2" / "resume", GRID[0]).read_bytes())
    with pytest.raises(ValueError, match=f"{state} is missing or does not match its checksum in {manifest}"):
        checkpoints.publish(manifest, "seed2", run_dir / "seed2" / "ckpt")
    assert not (run_dir / "seed2" / "ckpt").exists()
