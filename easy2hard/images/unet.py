"""The paper's U-Net denoiser (docs/science.md §7; Ronneberger et al. 2015 with a time embedding).

Channels double per level: base, 2·base, …, 2**depth·base (64-128-256-512-1024 at the
paper size, base = 64 and depth = 4). Each level is a double 3x3 conv + BatchNorm + ReLU
block; the down path max-pools, the up path uses a 2x2 transposed conv and concatenates
the skip. The diffusion step k enters as a sinusoidal embedding (dimension 100) that a
per-level Linear-SiLU-Linear MLP maps to that level's input channels, added to the input
of the level (broadcast over space). The network predicts the noise ε (same shape as x).
"""

from __future__ import annotations

import math

import torch
from torch import nn


def sinusoidal_embedding(k: torch.Tensor, dim: int = 100, max_period: float = 10_000.0):
    """(B,) diffusion steps → (B, dim) sin/cos features at geometric frequencies."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=k.device) / half)
    args = k.float()[:, None] * freqs[None]
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=1)
    return nn.functional.pad(emb, (0, dim % 2))


def double_conv(c_in: int, c_out: int) -> nn.Sequential:
    layers = []
    for a, b in ((c_in, c_out), (c_out, c_out)):
        layers += [nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def time_mlp(emb_dim: int, channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(emb_dim, channels), nn.SiLU(), nn.Linear(channels, channels))


class UNet(nn.Module):
    """ε-predicting U-Net; ``base_channels`` is the width, ``depth`` the number of poolings."""

    def __init__(self, in_channels: int = 1, base_channels: int = 64, depth: int = 4,
                 emb_dim: int = 100):
        super().__init__()
        if depth < 1 or base_channels < 1:
            raise ValueError(f"U-Net needs depth >= 1 and base_channels >= 1, got {depth}, {base_channels}")
        self.depth, self.emb_dim = depth, emb_dim
        ch = [base_channels * 2**i for i in range(depth + 1)]
        # Down path: level 0 reads the image, level i > 0 reads the pooled level i-1.
        d_in = [in_channels] + ch[:-1]
        self.down = nn.ModuleList(double_conv(d_in[i], ch[i]) for i in range(depth + 1))
        self.down_emb = nn.ModuleList(time_mlp(emb_dim, d_in[i]) for i in range(depth + 1))
        # Up path: level i reads ch[i+1] channels, upsamples to ch[i], concatenates the skip.
        self.up = nn.ModuleList(nn.ConvTranspose2d(ch[i + 1], ch[i], 2, stride=2) for i in range(depth))
        self.up_conv = nn.ModuleList(double_conv(2 * ch[i], ch[i]) for i in range(depth))
        self.up_emb = nn.ModuleList(time_mlp(emb_dim, ch[i + 1]) for i in range(depth))
        self.out = nn.Conv2d(ch[0], in_channels, 1)

    def forward(self, x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 2**self.depth or x.shape[-2] % 2**self.depth:
            raise ValueError(f"image size {tuple(x.shape[-2:])} must be divisible by 2**depth = {2**self.depth}")
        emb = sinusoidal_embedding(k, self.emb_dim).to(x.dtype)
        skips = []
        for i, (block, mlp) in enumerate(zip(self.down, self.down_emb)):
            if i > 0:
                x = nn.functional.max_pool2d(x, 2)
            x = block(x + mlp(emb)[:, :, None, None])
            skips.append(x)
        x = skips.pop()
        for i in reversed(range(self.depth)):
            x = self.up[i](x + self.up_emb[i](emb)[:, :, None, None])
            x = self.up_conv[i](torch.cat([skips.pop(), x], dim=1))
        return self.out(x)


def n_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
