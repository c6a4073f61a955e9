"""Per-run random streams for runs that train in lockstep.

Every run owns its generators, seeded from the config seed and a purpose tag, so a run's
trajectory is the same whether it trains alone or batched with any other runs. Draws come in
chunks of many steps, so the loop over runs costs one call per run per chunk, not per step.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

if TYPE_CHECKING:
    import torch


def seed_of(seed: int, *tags) -> int:
    """The stable 63-bit hash of (seed, *tags) that seeds ``generator`` (no torch needed)."""
    key = "/".join(map(str, (seed, *tags))).encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "little") >> 1


def generator(seed: int, *tags, device=None) -> torch.Generator:
    """A generator (CPU unless ``device``) seeded by ``seed_of(seed, *tags)``."""
    import torch

    gen = torch.Generator() if device is None else torch.Generator(device=device)
    return gen.manual_seed(seed_of(seed, *tags))


def chunked(draws: Sequence[Callable[[int], torch.Tensor]], steps: int, chunk: int,
            device=None) -> Iterator[torch.Tensor]:
    """Yield (c, R, ...) tensors covering ``steps`` steps in chunks of at most ``chunk``.

    ``draws[r](c)`` returns run r's next c steps, shape (c, ...), from run r's own generator.
    """
    import torch

    done = 0
    while done < steps:
        c = min(chunk, steps - done)
        block = torch.stack([draw(c) for draw in draws], dim=1)
        yield block.to(device) if device is not None else block
        done += c
