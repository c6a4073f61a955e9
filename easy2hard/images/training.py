"""Train the U-Net DDPM with Adam, saving log-spaced, resumable checkpoints (docs/science.md §7).

The checkpoint steps are a pure function of the config (``checkpoint_steps``), so the
workflow knows every checkpoint file before training starts. Each checkpoint holds the
model and optimizer state, the step, the states of the seeded generators (no unseeded
global state, so two identical runs save the same bytes) and a fingerprint of everything
that makes the weights: the seed, the model, DDPM and training settings, the SHA-256 of the
training images and the hash of the training code. It is written atomically, followed by
its SHA-256 in ``<state>.sha256``. All randomness of training (batch indices, k, ε) comes
from one CPU ``torch.Generator`` per seed whose state is saved, so a run killed at any point and
resumed from its newest checkpoint ends with the same weights as an uninterrupted run (bit
for bit on CPU). A state that cannot be read or fails its checksum is skipped, with a
warning, in favour of the newest intact one; states of another fingerprint are set aside
(moved to ``set_aside/``, one log line saying what differs) and never resumed. Training
resumes from the newest state before the first checkpoint step that has no state, so a
changed checkpoint grid is filled in rather than left with missing files. The seeds of a
run train together in ``lockstep``, with the same ``Seed`` streams and ``fit`` loop; the
published checkpoints and their manifests are ``checkpoints``'.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import numpy as np
import torch

from ..core import ddpm
from ..core.tables import load_torch, save_torch, sha256, write_text
from ..core.lockstep import checkpoint_steps  # noqa: F401  (re-exported)
from ..core.progress import Progress
from .checkpoints import MANIFEST, digest_path, state_path, verify_checkpoint, write_manifest  # noqa: F401
from .settings import TrainerSettings
from .unet import UNet, n_parameters

log = logging.getLogger(__name__)

#: keys of a training spec that do not change the trained weights; every other key of the
#: spec (model, DDPM, training) is in the resume fingerprint, new keys included
NOT_WEIGHT_KEYS = ("compile", "resume_every")


def training_subset(n_available: int, size: int, seed: int) -> np.ndarray:
    """Indices of the random training subset of ``size`` images (all when size >= available)."""
    if size >= n_available:
        return np.arange(n_available)
    return np.sort(np.random.default_rng(seed).permutation(n_available)[:size])


def build_model(spec: dict, in_channels: int = 1) -> UNet:
    if spec.get("kind") == "diffusers":  # a diffusers UNet2DModel (imported only then)
        from . import diffusers_unet

        return diffusers_unet.build(spec, in_channels)
    return UNet(in_channels, spec["base_channels"], spec["depth"], spec["emb_dim"])


def schedule(spec: dict) -> ddpm.Schedule:
    return ddpm.Schedule(spec["T"], spec["beta_min"], spec["beta_max"])


def data_hash(images: np.ndarray) -> str:
    """SHA-256 of the training images as the trainer sees them: dtype, shape and bytes."""
    x = np.ascontiguousarray(images)
    digest = hashlib.sha256(f"{x.dtype.str} {x.shape}\n".encode())
    digest.update(x.reshape(-1).view(np.uint8))
    return digest.hexdigest()


def fingerprint(spec: dict, seed: int, data: str = "", code: str = "") -> dict:
    """What makes the weights: seed, settings, training data hash and training code hash."""
    settings = {k: spec[k] for k in sorted(spec) if k not in NOT_WEIGHT_KEYS}
    return {"seed": int(seed), "spec": settings, "data": data, "code": code}


def fingerprint_changes(saved, fp: dict) -> list[str]:
    """The parts of ``fp`` that a saved fingerprint differs in (settings by key; "group":
    the seeds it was trained with in lockstep, none alone); "format" for a state saved
    before the data and code were part of it."""
    if not isinstance(saved, dict) or not isinstance(saved.get("spec"), dict):
        return ["format"]
    keys = sorted(set(saved["spec"]) | set(fp["spec"]))
    changed = [k for k in keys if saved["spec"].get(k) != fp["spec"].get(k)]
    return [k for k in ("seed", "group", "data", "code") if saved.get(k) != fp.get(k)] + changed


def save_state(state: dict, path) -> str:
    """Save a resume state atomically, then its SHA-256 beside it; return the digest.
    (A kill between the two leaves a state without a recorded digest, checked by loading.)"""
    digest_path(path).unlink(missing_ok=True)
    digest = save_torch(state, path)
    write_text(f"{digest}  {Path(path).name}\n", digest_path(path))
    return digest


def read_state(path) -> dict | None:
    """The state saved at ``path``, or None (with a warning) when it fails its recorded
    checksum or cannot be read: a killed or corrupted write must not stop a resume."""
    recorded = digest_path(path)
    try:
        if recorded.is_file() and recorded.read_text().split()[0] != sha256(path):
            raise ValueError(f"{path} does not match its checksum in {recorded}")
        return load_torch(path)
    except (ValueError, OSError, IndexError) as exc:
        log.warning("skipping unreadable resume state %s: %s", path, exc)
        return None


#: the folder of a state directory that states of another fingerprint are moved to
SET_ASIDE = "set_aside"


def saved_states(state_dir) -> list[Path]:
    """Every resume state in ``state_dir``: the step states of any checkpoint grid, then
    ``latest.pt``."""
    folder = Path(state_dir)
    latest = folder / "latest.pt"
    return sorted(folder.glob("step*.pt")) + ([latest] if latest.is_file() else [])


def set_aside(state_dir, paths: list[Path], why: str) -> Path:
    """Move the states ``paths`` and their digests to a new folder ``set_aside/<n>`` of
    ``state_dir`` (nothing is deleted), with one log line saying why; return the folder."""
    root = Path(state_dir) / SET_ASIDE
    n = 1
    while (root / str(n)).exists():
        n += 1
    (root / str(n)).mkdir(parents=True)
    for path in paths:
        for src in (path, digest_path(path)):
            if src.exists():
                os.replace(src, root / str(n) / src.name)
    log.warning("set aside %d resume state(s) in %s, not resumed: %s", len(paths), root / str(n), why)
    return root / str(n)


def matching_states(state_dir, fp: dict) -> dict[Path, int]:
    """The step of every intact saved state in ``state_dir`` whose fingerprint is ``fp``.
    States of another fingerprint are set aside; unreadable ones are skipped (``read_state``)."""
    found, other, changes = {}, [], {}
    for path in saved_states(state_dir):
        meta = read_state(path)
        if meta is None:
            continue
        if meta.get("fingerprint") == fp:
            found[path] = meta["step"]
        else:
            other.append(path)
            changes.update(dict.fromkeys(fingerprint_changes(meta.get("fingerprint"), fp)))
    if other:
        set_aside(state_dir, other, f"their fingerprint differs in {', '.join(changes)} "
                                    f"(other training settings, data or code)")
    return found


def resume_point(state_dirs, ckpt_steps: list[int], fps) -> tuple[int, list[Path] | None]:
    """(step, one path per state folder) of the states to resume from, or (0, None) to start
    over; one folder and fingerprint per seed of a group trained together (a single path
    and fingerprint for one seed alone, then the path is returned alone too).

    That is the newest step before the first checkpoint step that some seed has no state
    of, at which every seed has a matching state, so training writes every missing
    checkpoint whatever grid the states were saved on (``checkpoints.n`` changed); the
    final states when no checkpoint is missing.
    """
    alone = not isinstance(fps, (list, tuple))
    dirs, fps = ([state_dirs], [fps]) if alone else (list(state_dirs), list(fps))
    found = [{step: p for p, step in matching_states(d, fp).items()} for d, fp in zip(dirs, fps)]
    missing = [s for s in ckpt_steps
               if any(f.get(s) != state_path(d, s) for d, f in zip(dirs, found))]
    common = set.intersection(*(set(f) for f in found))
    if not missing:
        start = ckpt_steps[-1]
    else:
        start = max((step for step in common if step < missing[0]), default=0)
        if any(step > start for f in found for step in f):
            log.info("checkpoint step(s) %s have no saved state (a changed checkpoint grid, or "
                     "removed states): training again from step %d to write them", missing, start)
    paths = [f[start] for f in found] if start else None
    return start, (paths[0] if alone and paths else paths)


def make_step(model, opt, spec: dict, loss_fn):
    """One Adam step on ``loss_fn(net, x0, k, eps)`` (a scalar), with the optional speed
    settings of ``spec``: ``channels_last`` memory format, ``bf16`` autocast and ``compile``
    (torch.compile). Returns ``step(x0, k, eps) -> loss`` (the loss tensor, not synchronised)."""
    memory_format = torch.channels_last if spec["channels_last"] else torch.preserve_format
    model.to(memory_format=memory_format)
    net = torch.compile(model) if spec["compile"] else model
    device_type = next(model.parameters()).device.type
    bf16 = bool(spec["bf16"])

    def step(x0, k, eps):
        with torch.autocast(device_type, dtype=torch.bfloat16, enabled=bf16):
            loss = loss_fn(net, x0.contiguous(memory_format=memory_format), k, eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    return step


def mean_loss(alpha_bar: torch.Tensor):
    """The ε-prediction MSE of one network, averaged over the batch."""
    return lambda net, x0, k, eps: ddpm.per_image_loss(net, x0, k, eps, alpha_bar).mean()


class Seed:
    """One seed's training streams: its generator (batch indices, k, ε, seeded with the
    seed), its training subset, its fingerprint, its state folder and the torch generator
    state right after its model was initialised (saved with its states, as training alone
    saves it)."""

    def __init__(self, images: np.ndarray, settings: TrainerSettings, seed: int, state_dir,
                 code: str, device):
        self.seed, self.state_dir = int(seed), Path(state_dir)
        self.fp = fingerprint(settings.spec(), seed, data_hash(images), code)
        self.gen = torch.Generator().manual_seed(self.seed)
        torch.manual_seed(self.seed)
        self.model = build_model(settings.spec(), images.shape[1]).to(device)
        self.torch_state = torch.get_rng_state()
        subset = training_subset(len(images), settings.optim.train_subset, self.seed)
        self.data = torch.as_tensor(images[subset]).to(device)

    def draw(self, batch: int, T: int, device):
        """This step's (x0, k, ε) from the seed's own generator."""
        idx = torch.randint(0, len(self.data), (batch,), generator=self.gen)
        x0 = self.data[idx.to(device)]
        k = torch.randint(0, T, (batch,), generator=self.gen)
        eps = torch.randn(x0.shape, generator=self.gen).to(device)
        return x0, k.to(device), eps

    def rng(self) -> dict:
        return {"generator": self.gen.get_state(), "torch": self.torch_state,
                "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}

    def save(self, step: int, target: Path, model_state: dict, opt_state: dict) -> None:
        save_state({"model": model_state, "optimizer": opt_state, "step": step,
                    "rng": self.rng(), "fingerprint": self.fp}, target)

    def restore_rng(self, state: dict) -> None:
        self.gen.set_state(state["rng"]["generator"])
        self.torch_state = state["rng"]["torch"]


class Alone:
    """One seed's plain network and Adam: the trainer of one seed."""

    def __init__(self, seed: Seed, lr: float):
        self.seeds, self.model = [seed], seed.model
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr)

    def restore(self, states: list[dict]) -> None:
        self.model.load_state_dict(states[0]["model"])
        self.opt.load_state_dict(states[0]["optimizer"])

    def states(self) -> list[tuple[dict, dict]]:
        return [(self.model.state_dict(), self.opt.state_dict())]

    def inputs(self, draws):
        return draws[0]

    def loss(self, alpha_bar: torch.Tensor):
        return mean_loss(alpha_bar)


def fit(trainer, settings: TrainerSettings, ckpt_steps: list[int], device, progress: bool) -> list[Path]:
    """Train ``trainer`` (``Alone`` or a lockstep group) to its last step, resuming from its
    seeds' newest common states, saving each seed's state at every checkpoint step (and
    ``latest.pt`` every ``resume_every`` steps). Returns the final state of every seed."""
    opt_cfg, seeds = settings.optim, trainer.seeds
    if ckpt_steps[-1] != opt_cfg.steps:
        raise ValueError(f"the last checkpoint ({ckpt_steps[-1]}) must be the last step ({opt_cfg.steps})")
    final = [state_path(s.state_dir, opt_cfg.steps) for s in seeds]
    start, paths = resume_point([s.state_dir for s in seeds], ckpt_steps, [s.fp for s in seeds])
    what = f"seed {seeds[0].seed}" if len(seeds) == 1 else f"seeds {[s.seed for s in seeds]} in lockstep"
    if paths is None:
        log.info("training from scratch: %d parameters, %d steps, %s",
                 n_parameters(seeds[0].model), opt_cfg.steps, what)
    else:
        log.info("resuming from %s (step %d of %d), %s", ", ".join(map(str, paths)), start,
                 opt_cfg.steps, what)
    if start >= opt_cfg.steps:
        return final
    if paths is not None:
        states = [load_torch(p, map_location=device) for p in paths]
        trainer.restore(states)
        for seed, state in zip(seeds, states):
            seed.restore_rng(state)
    sched = schedule(settings.spec())
    step_fn = make_step(trainer.model, trainer.opt, settings.spec(), trainer.loss(sched.alpha_bar(device)))

    def save(step: int, name) -> None:
        for seed, (model_state, opt_state) in zip(seeds, trainer.states()):
            seed.save(step, name(seed.state_dir), model_state, opt_state)

    bar = Progress(opt_cfg.steps, log, what="steps", start=start) if progress else None
    trainer.model.train()
    for step in range(start + 1, opt_cfg.steps + 1):
        loss = step_fn(*trainer.inputs([s.draw(opt_cfg.batch, sched.T, device) for s in seeds]))
        if bar is not None:  # the loss (.item() syncs the GPU) only when a line is written
            bar.update(step, note=lambda: f"loss {loss.item():.4f}")
        if step in ckpt_steps:
            save(step, lambda folder: state_path(folder, step))
        elif opt_cfg.resume_every and step % opt_cfg.resume_every == 0:
            save(step, lambda folder: Path(folder) / "latest.pt")
    if bar is not None:
        bar.finish(note=f"loss {loss.item():.4f}")
    return final


def train(images: np.ndarray, settings: TrainerSettings, seed: int, state_dir,
          ckpt_steps: list[int], device="cpu", progress: bool = True, code: str = "") -> Path:
    """Train one seed on ``images`` (n, C, H, W) and save a state at every step in
    ``ckpt_steps``; returns the path of the final state.

    Resumes from a state in ``state_dir`` with the same fingerprint (``resume_point``);
    ``code`` is the hash of the training code, part of it.
    """
    device = torch.device(device)
    return fit(Alone(Seed(images, settings, seed, state_dir, code, device), settings.optim.lr),
               settings, ckpt_steps, device, progress)[0]


def load_model(path, spec: dict, in_channels: int | None = None, device="cpu") -> UNet:
    """The U-Net of a checkpoint, in eval mode (BatchNorm uses its running statistics).

    ``in_channels`` defaults to the image channels the checkpoint was trained on. A
    checkpoint in a published folder (one with a ``SHA256SUMS``) is verified first.
    """
    if (Path(path).parent / MANIFEST).is_file():
        verify_checkpoint(path)
    weights = load_torch(path, map_location="cpu")["model"]
    model = build_model(spec, in_channels or (weights["out.weight"].shape[0] if "out.weight" in weights
                                              else weights["unet.conv_in.weight"].shape[1]))
    model.load_state_dict(weights)
    return model.to(device).eval()
