"""Train the U-Net DDPM with Adam, saving log-spaced, resumable checkpoints (docs/science.md §7).

The checkpoint steps are a pure function of the config (``checkpoint_steps``), so the
workflow knows every checkpoint file before training starts. Each checkpoint holds the
model and optimizer state, the step, the states of the seeded generators (no unseeded
global state, so two identical runs save the same bytes) and a fingerprint of everything
that makes the weights: the seed, the model, DDPM and training settings, the SHA-256 of the
training images and the hash of the training code. It is written atomically, followed by
its SHA-256 in ``<state>.sha256``. All randomness of training (batch indices, k, ε) comes
from one CPU ``torch.Generator`` whose state is saved, so a run killed at any point and
resumed from its newest checkpoint ends with the same weights as an uninterrupted run (bit
for bit on CPU). A state that cannot be read or fails its checksum is skipped, with a
warning, in favour of the newest intact one; states of another fingerprint are set aside
(moved to ``set_aside/``, one log line saying what differs) and never resumed. Training
resumes from the newest state before the first checkpoint step that has no state, so a
changed checkpoint grid is filled in rather than left with missing files. The training job publishes the checkpoints with a checksum
manifest (``SHA256SUMS``, ``sha256sum -c`` format) written last; the jobs that read a
checkpoint verify it against the manifest first.
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
    """The parts of ``fp`` that a saved fingerprint differs in (settings by key); "format"
    for a state saved before the data and code were part of it."""
    if not isinstance(saved, dict) or not isinstance(saved.get("spec"), dict):
        return ["format"]
    keys = sorted(set(saved["spec"]) | set(fp["spec"]))
    changed = [k for k in keys if saved["spec"].get(k) != fp["spec"].get(k)]
    return [k for k in ("seed", "data", "code") if saved.get(k) != fp[k]] + changed


def state_path(state_dir, step: int) -> Path:
    return Path(state_dir) / f"step{step:07d}.pt"


def _rng_states(gen: torch.Generator) -> dict:
    """The states of the generators ``train`` seeds: its own and torch's (CPU, CUDA). The
    unseeded Python and numpy global states are not saved: training draws nothing from them,
    and they would make two identical runs save different bytes."""
    return {"generator": gen.get_state(), "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def _set_rng_states(gen: torch.Generator, rng: dict) -> None:
    gen.set_state(rng["generator"])
    torch.set_rng_state(rng["torch"])
    if rng["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(rng["cuda"])


#: the checksum manifest of a published checkpoint folder
MANIFEST = "SHA256SUMS"


def digest_path(path) -> Path:
    """The file that records the SHA-256 of the state ``path`` when it was saved."""
    return Path(f"{path}.sha256")


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


def write_manifest(folder, names, recorded_in) -> Path:
    """Write ``folder/SHA256SUMS`` for the files ``names``: the digests recorded in
    ``recorded_in`` when the states were saved, else computed now. Written last, so its
    presence means the folder is complete."""
    folder = Path(folder)
    lines = []
    for name in sorted(names):
        recorded = digest_path(Path(recorded_in) / name)
        digest = recorded.read_text().split()[0] if recorded.is_file() else sha256(folder / name)
        lines.append(f"{digest}  {name}\n")
    write_text("".join(lines), folder / MANIFEST)
    return folder / MANIFEST


def verify_checkpoint(path) -> Path:
    """``path`` after checking it against the manifest of its folder; a ValueError that
    names the file and says how to recover otherwise."""
    path = Path(path)
    manifest = path.parent / MANIFEST
    fix = (f"Delete {path.parent} and run snakemake again: training resumes from the newest "
           f"intact resume state.")
    if not manifest.is_file():
        raise ValueError(f"checkpoint folder {path.parent} has no {MANIFEST}: it is incomplete. {fix}")
    sums = dict(reversed(line.split(None, 1)) for line in manifest.read_text().splitlines() if line)
    if path.name not in sums:
        raise ValueError(f"checkpoint {path} is not listed in {manifest}. {fix}")
    if not path.is_file() or sha256(path) != sums[path.name]:
        raise ValueError(f"checkpoint {path} does not match its checksum in {manifest}: "
                         f"the file is missing or corrupt. {fix}")
    return path


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


def resume_point(state_dir, ckpt_steps: list[int], fp: dict) -> tuple[int, Path | None]:
    """(step, path) of the state to resume from, or (0, None) to start over.

    That is the newest matching state before the first checkpoint step that has no state of
    its own, so training writes every missing checkpoint whatever grid the states were saved
    on (``checkpoints.n`` changed); the final state when no checkpoint is missing.
    """
    found = matching_states(state_dir, fp)
    missing = [s for s in ckpt_steps if found.get(state_path(state_dir, s)) != s]
    if not missing:
        return ckpt_steps[-1], state_path(state_dir, ckpt_steps[-1])
    start, path = max(((step, p) for p, step in found.items() if step < missing[0]),
                      default=(0, None))
    if any(step > start for step in found.values()):
        log.info("checkpoint step(s) %s have no saved state (a changed checkpoint grid, or "
                 "removed states): training again from step %d to write them", missing, start)
    return start, path


def make_step(model, opt, spec: dict, alpha_bar: torch.Tensor):
    """One Adam step on the ε-prediction MSE, with the optional speed settings of ``spec``:
    ``channels_last`` memory format, ``bf16`` autocast and ``compile`` (torch.compile).
    Returns ``step(x0, k, eps) -> loss`` (the loss tensor, not synchronised)."""
    memory_format = torch.channels_last if spec["channels_last"] else torch.preserve_format
    model.to(memory_format=memory_format)
    net = torch.compile(model) if spec["compile"] else model
    device_type = next(model.parameters()).device.type
    bf16 = bool(spec["bf16"])

    def step(x0, k, eps):
        with torch.autocast(device_type, dtype=torch.bfloat16, enabled=bf16):
            loss = ddpm.per_image_loss(net, x0.contiguous(memory_format=memory_format), k, eps,
                                       alpha_bar).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    return step


def _restore(path, model, opt, gen: torch.Generator, device) -> None:
    """Load the weights, optimizer and generator states saved at ``path``."""
    state = load_torch(path, map_location=device)
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optimizer"])
    _set_rng_states(gen, state["rng"])


def train(images: np.ndarray, spec: dict, seed: int, state_dir, ckpt_steps: list[int],
          device="cpu", resume_every: int = 0, progress: bool = True, code: str = "") -> Path:
    """Train on ``images`` (n, C, H, W) and save a state at every step in ``ckpt_steps``.

    Resumes from a state in ``state_dir`` with the same fingerprint (``resume_point``);
    ``code`` is the hash of the training code, part of it. ``resume_every`` > 0 also saves
    ``latest.pt`` every that many steps, for jobs killed between checkpoints. Returns the
    path of the final state.
    """
    device = torch.device(device)
    steps, batch = spec["steps"], spec["batch"]
    if ckpt_steps[-1] != steps:
        raise ValueError(f"the last checkpoint ({ckpt_steps[-1]}) must be the last step ({steps})")
    fp = fingerprint(spec, seed, data_hash(images), code)
    sched = schedule(spec)
    alpha_bar = sched.alpha_bar(device)

    torch.manual_seed(seed)
    model = build_model(spec, images.shape[1]).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=spec["lr"])
    gen = torch.Generator().manual_seed(seed)
    start, path = resume_point(state_dir, ckpt_steps, fp)
    if path is None:
        log.info("training from scratch: %d parameters, %d steps, seed %d", n_parameters(model), steps, seed)
    else:
        log.info("resuming from %s (step %d of %d)", path, start, steps)
    if start >= steps:
        return path
    if path is not None:
        _restore(path, model, opt, gen, device)

    data = torch.as_tensor(images[training_subset(len(images), spec["train_subset"], seed)]).to(device)
    step_fn = make_step(model, opt, spec, alpha_bar)
    pending = set(ckpt_steps)

    def save(step: int, target: Path) -> None:
        save_state({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                    "rng": _rng_states(gen), "fingerprint": fp}, target)

    bar = Progress(steps, log, what="steps", start=start) if progress else None
    model.train()
    for step in range(start + 1, steps + 1):
        idx = torch.randint(0, len(data), (batch,), generator=gen)
        x0 = data[idx.to(device)]
        k = torch.randint(0, sched.T, (batch,), generator=gen)
        eps = torch.randn(x0.shape, generator=gen).to(device)
        loss = step_fn(x0, k.to(device), eps)
        if bar is not None:  # the loss (.item() syncs the GPU) only when a line is written
            bar.update(step, note=lambda: f"loss {loss.item():.4f}")
        if step in pending:
            save(step, state_path(state_dir, step))
        elif resume_every and step % resume_every == 0:
            save(step, Path(state_dir) / "latest.pt")
    if bar is not None:
        bar.finish(note=f"loss {loss.item():.4f}")
    return state_path(state_dir, steps)


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
