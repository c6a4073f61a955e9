"""Train the seeds of a U-Net run together, in lockstep, as one grouped network (docs/stages/images.md).

The G seeds' plain U-Nets are initialised as each seed alone would be (``training.Seed``),
then folded into one ``GroupedUNet`` (channel block g = seed g). Each step draws every
seed's batch, k and ε from that seed's own generator, puts seed g's batch in channel block
g and minimises the sum over seeds of each seed's mean loss, so each seed's gradient is its
own; one Adam over the grouped parameters is element-wise, so each seed's update is its
own too. Each seed's states are saved in its own folder in the format of a seed trained
alone (the plain U-Net's state dict and Adam state, its generator, its fingerprint), so
checkpoints load into the plain ``UNet`` and a killed group resumes from the newest step
at which every seed has a state, bit for bit.

The fingerprint of a state trained in a group names the group's seeds: a state trained
alone or in another group (equal only to float round-off) is set aside rather than mixed in.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from . import grouped_unet
from .settings import TrainerSettings
from .checkpoints import write_run_manifest
from .training import Seed, fit, train

log = logging.getLogger(__name__)


class Lockstep:
    """G seeds' U-Nets as one grouped network with one Adam."""

    def __init__(self, seeds: list[Seed], lr: float):
        self.seeds = seeds
        self.model = grouped_unet.from_unets([s.model for s in seeds])
        self.names = grouped_unet.parameter_names(self.model)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=lr)

    def restore(self, states: list[dict]) -> None:
        self.model.load_state_dict({name: grouped_unet.stack_tensors(name, [s["model"][name] for s in states])
                                    for name in states[0]["model"]})
        self.opt.load_state_dict(grouped_unet.stack_adam([s["optimizer"] for s in states], self.names))

    def states(self) -> list[tuple[dict, dict]]:
        models = grouped_unet.to_state_dicts(self.model)
        opts = grouped_unet.split_adam(self.opt.state_dict(), self.names, len(self.seeds))
        return list(zip(models, opts))

    def inputs(self, draws):
        """Seed g's (x0, k, ε) in channel block g: x0, ε (B, G·C, H, W), k (G, B)."""
        x0, k, eps = zip(*draws)
        return torch.cat(x0, 1), torch.stack(k), torch.cat(eps, 1)

    def loss(self, alpha_bar: torch.Tensor):
        return lambda net, x0, k, eps: grouped_loss(net, x0, k, eps, alpha_bar)


def grouped_loss(net, x0: torch.Tensor, k: torch.Tensor, eps: torch.Tensor,
                 alpha_bar: torch.Tensor) -> torch.Tensor:
    """Σ over seeds of each seed's ε-prediction MSE (per image, then the batch mean), for
    seed g's batch in channel block g of x0 and ε and its steps in row g of k (G, B)."""
    G, B = k.shape
    ab = alpha_bar.to(x0.device)[k].to(x0.dtype).T.reshape(B, G, 1, 1, 1)
    x0b, epsb = x0.unflatten(1, (G, -1)), eps.unflatten(1, (G, -1))
    xk = (ab.sqrt() * x0b + (1 - ab).sqrt() * epsb).flatten(1, 2)
    pred = net(xk, k).unflatten(1, (G, -1))
    per_image = (pred.float() - epsb.float()).pow(2).flatten(2).mean(2)  # (B, G)
    return per_image.mean(0).sum()


def groupable(settings: TrainerSettings) -> bool:
    """Only the paper's U-Net has a grouped form (a diffusers model trains seed by seed)."""
    return settings.model.kind == "paper"


def train_group(images: np.ndarray, settings: TrainerSettings, seeds: list[int], state_dirs,
                ckpt_steps: list[int], device="cpu", progress: bool = True, code: str = "",
                lockstep: bool = True) -> list[Path]:
    """Train ``seeds`` on ``images`` (n, C, H, W), seed s saving its states in its folder
    of ``state_dirs``: together in lockstep (one seed alone is trained alone), or one after
    the other when ``lockstep`` is off or the model has no grouped form. Returns every
    seed's final state."""
    device = torch.device(device)
    if len(seeds) == 1 or not lockstep or not groupable(settings):
        return [train(images, settings, s, d, ckpt_steps, device, progress, code)
                for s, d in zip(seeds, state_dirs)]
    group = [Seed(images, settings, s, d, code, device) for s, d in zip(seeds, state_dirs)]
    for seed in group:
        seed.fp = {**seed.fp, "group": [int(s) for s in seeds]}
    return fit(Lockstep(group, settings.optim.lr), settings, ckpt_steps, device, progress)


def train_run(images: np.ndarray, spec: dict, seeds: list[int], run_dir, ckpt_steps: list[int],
              device="cpu", code: str = "", lockstep: bool = True) -> Path:
    """The training job of a run: train its ``seeds`` (``train_group``; ``spec`` is the flat
    model, DDPM and training dict; seed s's states in ``run_dir/seed{s}/resume``), then
    write the run's manifest of every seed's checkpoint states; returns its path."""
    state_dirs = [Path(run_dir) / f"seed{s}" / "resume" for s in seeds]
    train_group(images, TrainerSettings.from_spec(spec), seeds, state_dirs, ckpt_steps, device,
                code=code, lockstep=lockstep)
    manifest = write_run_manifest(run_dir, state_dirs, ckpt_steps)
    log.info("trained %d checkpoints of seeds %s, listed in %s", len(ckpt_steps), list(seeds), manifest)
    return manifest


__all__ = ["Lockstep", "grouped_loss", "train_group", "train_run"]
