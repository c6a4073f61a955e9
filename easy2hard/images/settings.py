"""The U-Net trainer's settings: frozen dataclasses, one commented field per option.

They are built from a run's validated config block (``unet.runs.<run>``: its ``model``,
``ddpm`` and ``training`` sections, defaults filled in by the schema) or from the flat dict
of the three that the workflow's U-Net rules pass (``TrainerSettings.from_spec``); ``spec``
gives that flat dict back, which is what the model builders and the resume fingerprint read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class ModelSettings:
    base_channels: int = 64    # channels of the first level, doubled per level (paper U-Net)
    depth: int = 4             # max-pool levels (image side divisible by 2**depth)
    emb_dim: int = 100         # dimension of the sinusoidal time embedding
    kind: str = "paper"        # "paper" (easy2hard.images.unet) or "diffusers" (UNet2DModel)
    diffusers: dict | None = None  # the UNet2DModel's settings, for kind "diffusers" only


@dataclass(frozen=True)
class DiffusionSettings:
    T: int = 1000              # number of diffusion steps
    beta_min: float = 1e-4     # β at the first step (linear schedule)
    beta_max: float = 2e-2     # β at the last step


@dataclass(frozen=True)
class OptimSettings:
    steps: int                 # Adam steps (the last checkpoint)
    batch: int                 # images per step, per seed
    lr: float                  # Adam learning rate
    train_subset: int          # size of the seed's random training subset (all if larger)
    bf16: bool = False         # bfloat16 autocast in training
    channels_last: bool = False  # channels_last memory format in training
    compile: bool = False      # torch.compile the training step's model
    resume_every: int = 0      # also save latest.pt every this many steps (0: checkpoints only)


def _pick(cls, values: dict):
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in names})


@dataclass(frozen=True)
class TrainerSettings:
    model: ModelSettings       # the network
    ddpm: DiffusionSettings    # the noise schedule
    optim: OptimSettings       # Adam, batch, steps and the speed options

    @classmethod
    def from_run(cls, run: dict) -> "TrainerSettings":
        """From a validated ``unet.runs.<run>`` block."""
        model = run["model"]
        if model.get("kind", "paper") == "paper":  # the diffusers block only for that kind
            model = {k: v for k, v in model.items() if k != "diffusers"}
        return cls(_pick(ModelSettings, model), DiffusionSettings(**run["ddpm"]),
                   OptimSettings(**run["training"]))

    @classmethod
    def from_spec(cls, spec: dict) -> "TrainerSettings":
        """From the flat dict of model, DDPM and training keys (``spec``'s inverse); a key
        that is none of them is an error naming it."""
        known = {f.name for c in (ModelSettings, DiffusionSettings, OptimSettings) for f in fields(c)}
        unknown = sorted(set(spec) - known)
        if unknown:
            raise ValueError(f"unknown U-Net trainer setting(s) {unknown}; allowed: {sorted(known)}")
        return cls(_pick(ModelSettings, spec), _pick(DiffusionSettings, spec),
                   _pick(OptimSettings, spec))

    def spec(self) -> dict:
        """The flat dict of every setting (a paper model without ``kind`` and ``diffusers``)."""
        model = asdict(self.model)
        if self.model.kind == "paper":
            model = {k: v for k, v in model.items() if k not in ("kind", "diffusers")}
        return {**model, **asdict(self.ddpm), **asdict(self.optim)}
