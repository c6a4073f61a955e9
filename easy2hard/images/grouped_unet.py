"""G seeds of the paper's U-Net as one network of grouped convolutions (docs/stages/images.md).

Channel block g of every activation belongs to seed g: every convolution has ``groups=G``
(block g of its weight is seed g's weight), BatchNorm runs over G·c channels (its statistics
are per channel, so per seed), the time-embedding MLPs are batched matrix products over
stacked weights (one (out, in) matrix per seed), and the skip connection is concatenated
per group, so seed g's up-path block reads [skip_g, x_g] as the plain U-Net does. The input
is (B, G·C, H, W), channel block g holding seed g's own batch, and ``k`` is (G, B), each
seed's own diffusion steps. No operation mixes two channel blocks: the G seeds are G
independent networks computed together.

``from_unets`` and ``to_state_dicts`` convert between this network and G plain ``UNet``
state dicts, exactly (tensor copies); ``stack_adam`` / ``split_adam`` do the same for Adam
states (Adam is element-wise, so block g of its moments is seed g's).
"""

from __future__ import annotations

import torch
from torch import nn

from .unet import UNet, sinusoidal_embedding


class GroupedLinear(nn.Module):
    """G Linear layers (one per seed) as one batched product: (G, B, in) → (G, B, out)."""

    def __init__(self, groups: int, d_in: int, d_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(groups, d_out, d_in))
        self.bias = nn.Parameter(torch.empty(groups, d_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias[:, None, :], x, self.weight.transpose(1, 2))


def grouped_double_conv(groups: int, c_in: int, c_out: int) -> nn.Sequential:
    layers = []
    for a, b in ((c_in, c_out), (c_out, c_out)):
        layers += [nn.Conv2d(groups * a, groups * b, 3, padding=1, bias=False, groups=groups),
                   nn.BatchNorm2d(groups * b), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def grouped_time_mlp(groups: int, emb_dim: int, channels: int) -> nn.Sequential:
    return nn.Sequential(GroupedLinear(groups, emb_dim, channels), nn.SiLU(),
                         GroupedLinear(groups, channels, channels))


def _blocks(x: torch.Tensor, groups: int) -> torch.Tensor:
    """(B, G·c, H, W) → (B, G, c, H, W)."""
    return x.unflatten(1, (groups, -1))


class GroupedUNet(nn.Module):
    """``groups`` U-Nets of the same shape (``UNet``'s arguments) computed as one; module and
    parameter names are the plain U-Net's, in the same order."""

    def __init__(self, groups: int, in_channels: int = 1, base_channels: int = 64, depth: int = 4,
                 emb_dim: int = 100):
        super().__init__()
        if depth < 1 or base_channels < 1 or groups < 1:
            raise ValueError(f"grouped U-Net needs groups, depth, base_channels >= 1, got "
                             f"{groups}, {depth}, {base_channels}")
        G = self.groups = groups
        self.depth, self.emb_dim, self.in_channels = depth, emb_dim, in_channels
        ch = [base_channels * 2**i for i in range(depth + 1)]
        d_in = [in_channels] + ch[:-1]
        self.down = nn.ModuleList(grouped_double_conv(G, d_in[i], ch[i]) for i in range(depth + 1))
        self.down_emb = nn.ModuleList(grouped_time_mlp(G, emb_dim, d_in[i]) for i in range(depth + 1))
        self.up = nn.ModuleList(nn.ConvTranspose2d(G * ch[i + 1], G * ch[i], 2, stride=2, groups=G)
                                for i in range(depth))
        self.up_conv = nn.ModuleList(grouped_double_conv(G, 2 * ch[i], ch[i]) for i in range(depth))
        self.up_emb = nn.ModuleList(grouped_time_mlp(G, emb_dim, ch[i + 1]) for i in range(depth))
        self.out = nn.Conv2d(G * ch[0], G * in_channels, 1, groups=G)

    def _add_time(self, x: torch.Tensor, mlp: nn.Module, emb: torch.Tensor) -> torch.Tensor:
        """x + seed g's MLP of its own embedding on channel block g (broadcast over space)."""
        t = mlp(emb)  # (G, B, c)
        return x + t.transpose(0, 1).flatten(1)[:, :, None, None]

    def forward(self, x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """x (B, G·C, H, W), k (G, B) → ε predictions (B, G·C, H, W)."""
        if x.shape[-1] % 2**self.depth or x.shape[-2] % 2**self.depth:
            raise ValueError(f"image size {tuple(x.shape[-2:])} must be divisible by 2**depth = {2**self.depth}")
        G, B = k.shape
        emb = sinusoidal_embedding(k.reshape(-1), self.emb_dim).to(x.dtype).view(G, B, -1)
        skips = []
        for i, (block, mlp) in enumerate(zip(self.down, self.down_emb)):
            if i > 0:
                x = nn.functional.max_pool2d(x, 2)
            x = block(self._add_time(x, mlp, emb))
            skips.append(x)
        x = skips.pop()
        for i in reversed(range(self.depth)):
            x = self.up[i](self._add_time(x, self.up_emb[i], emb))
            joined = torch.cat([_blocks(skips.pop(), G), _blocks(x, G)], dim=2)
            x = self.up_conv[i](joined.flatten(1, 2))
        return self.out(x)


def _is_linear(name: str) -> bool:
    """Parameters of the time-embedding MLPs: stacked on a new first axis (the others are
    concatenated along their first axis, the channel blocks)."""
    return name.split(".")[0] in ("down_emb", "up_emb")


def stack_tensors(name: str, tensors: list[torch.Tensor]) -> torch.Tensor:
    """The grouped tensor ``name`` from the G seeds' plain tensors."""
    if tensors[0].dim() == 0:  # BatchNorm's num_batches_tracked: one count, the same for all
        if any(not torch.equal(t, tensors[0]) for t in tensors):
            raise ValueError(f"{name} differs between the seeds of a group: {tensors}")
        return tensors[0].clone()
    return torch.stack(tensors) if _is_linear(name) else torch.cat(tensors)


def split_tensor(name: str, tensor: torch.Tensor, groups: int) -> list[torch.Tensor]:
    """The G seeds' plain tensors ``name`` (own copies) from the grouped one."""
    if tensor.dim() == 0:
        return [tensor.clone() for _ in range(groups)]
    parts = tensor.unbind(0) if _is_linear(name) else tensor.chunk(groups, 0)
    return [p.clone(memory_format=torch.contiguous_format) for p in parts]


def from_unets(models: list[UNet]) -> GroupedUNet:
    """One grouped network holding the weights and BatchNorm statistics of ``models``."""
    first = models[0]
    grouped = GroupedUNet(len(models), first.out.weight.shape[0], first.out.weight.shape[1],
                          first.depth, first.emb_dim)
    states = [m.state_dict() for m in models]
    grouped.load_state_dict({name: stack_tensors(name, [s[name] for s in states])
                             for name in states[0]})
    return grouped.to(first.out.weight.device)


def to_state_dicts(grouped: GroupedUNet) -> list[dict]:
    """The G plain ``UNet`` state dicts of ``grouped`` (same keys, own tensors)."""
    out = [{} for _ in range(grouped.groups)]
    for name, tensor in grouped.state_dict().items():
        for state, part in zip(out, split_tensor(name, tensor.detach(), grouped.groups)):
            state[name] = part
    return out


def parameter_names(model: nn.Module) -> list[str]:
    """Parameter names in optimizer order (the same for a UNet and its grouped network)."""
    return [name for name, _ in model.named_parameters()]


def stack_adam(states: list[dict], names: list[str]) -> dict:
    """The grouped Adam state dict from the G seeds' plain ones (the same hyper-parameters)."""
    merged = {i: {key: (states[0]["state"][i][key] if key == "step" else
                        stack_tensors(names[i], [s["state"][i][key] for s in states]))
                  for key in states[0]["state"][i]} for i in states[0]["state"]}
    return {"state": merged, "param_groups": states[0]["param_groups"]}


def split_adam(state: dict, names: list[str], groups: int) -> list[dict]:
    """The G seeds' plain Adam state dicts from the grouped one."""
    out = [{"state": {}, "param_groups": [dict(pg) for pg in state["param_groups"]]}
           for _ in range(groups)]
    for i, entry in state["state"].items():
        for key, value in entry.items():
            parts = ([value.clone() for _ in range(groups)] if key == "step"
                     else split_tensor(names[i], value, groups))
            for seed, part in zip(out, parts):
                seed["state"].setdefault(i, {})[key] = part
    return out
