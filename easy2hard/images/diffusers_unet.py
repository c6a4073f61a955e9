"""A ``diffusers`` ``UNet2DModel`` as the ε-predicting network (``unet.runs.<run>.model.kind:
diffusers``), the format of the public DDPM models and of diffusers' training scripts.

``diffusers`` is imported inside the functions only: planning and the jobs of ``paper``
runs never load it.

The network is wrapped in :class:`EpsModel` so that it is called as the paper's U-Net is,
``model(x, k) -> ε̂``; everything else (trainer, resume, checkpoints, evaluation, references,
sampling) is unchanged. The schedule is the project's (:mod:`easy2hard.core.ddpm`, float64
ᾱ); :func:`scheduler` is the ``DDPMScheduler`` of the same ``ddpm`` block (linear β,
ε-prediction), whose float32 ᾱ equals it to float32 precision (tests/test_diffusers_model.py).
Step k of the project is diffusers' timestep k (Ho et al.'s code t = k, the paper's t = k + 1).
"""

from __future__ import annotations

import torch
from torch import nn


def unet_config(spec: dict, in_channels: int) -> dict:
    """``UNet2DModel`` arguments from the run's ``model.diffusers`` block."""
    d = spec["diffusers"]
    levels = len(d["block_out_channels"])
    attention = list(d["attention"]) if d["attention"] else [False] * levels
    if len(attention) != levels:
        raise ValueError(f"model.diffusers.attention has {len(attention)} entries for "
                         f"{levels} levels (block_out_channels)")
    return {"in_channels": in_channels, "out_channels": in_channels,
            "block_out_channels": tuple(d["block_out_channels"]),
            "layers_per_block": d["layers_per_block"], "norm_num_groups": d["norm_num_groups"],
            "down_block_types": tuple("AttnDownBlock2D" if a else "DownBlock2D" for a in attention),
            "up_block_types": tuple("AttnUpBlock2D" if a else "UpBlock2D" for a in reversed(attention))}


class EpsModel(nn.Module):
    """``model(x, k)``: the ε prediction of a ``UNet2DModel`` at integer steps ``k``."""

    def __init__(self, unet: nn.Module):
        super().__init__()
        self.unet = unet

    def forward(self, x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        return self.unet(x, k).sample

    @property
    def out(self) -> nn.Module:
        """The last convolution, named as the paper's U-Net's (its weight's first axis is the
        image channels, which the sampler reads)."""
        return self.unet.conv_out


def build(spec: dict, in_channels: int = 1) -> EpsModel:
    """A freshly initialised ``UNet2DModel`` (weights from torch's current random state)."""
    from diffusers import UNet2DModel

    return EpsModel(UNet2DModel(**unet_config(spec, in_channels)))


def scheduler(spec: dict):
    """The ``DDPMScheduler`` of the run's ``ddpm`` block (linear β, ε-prediction)."""
    from diffusers import DDPMScheduler

    return DDPMScheduler(num_train_timesteps=spec["T"], beta_start=spec["beta_min"],
                         beta_end=spec["beta_max"], beta_schedule="linear",
                         prediction_type="epsilon")


def channels(weights: dict) -> int:
    """Image channels of an :class:`EpsModel` state dict."""
    return weights["unet.conv_in.weight"].shape[1]
