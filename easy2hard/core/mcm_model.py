"""The parameters of the mixed cumulant model (docs/science.md §3) without torch: the MCM
dataclass and its latent laws (sampling lives in core.mixed_cumulant)."""

from __future__ import annotations

import math
from dataclasses import dataclass

LATENTS = ("rademacher", "three_point", "student_t")


@dataclass(frozen=True)
class MCM:
    """One mixed cumulant model. ``beta_v = inf`` makes <v, x> = ν exactly."""

    N: int
    beta_u: float = 0.0
    beta_v: float = math.inf
    latent: str = "rademacher"
    latent_a: float = 0.1
    student_df: float = 5.0
    correlated: bool = False
    mean_shift: float = 0.0

    @property
    def a(self) -> float:
        return 1.0 if math.isinf(self.beta_v) else math.sqrt(self.beta_v / (1 + self.beta_v))

    @property
    def s(self) -> float:
        return 0.0 if math.isinf(self.beta_v) else 1 / math.sqrt(1 + self.beta_v)
