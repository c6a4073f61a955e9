"""Train every seed of one U-Net run (in lockstep); resume from their newest saved states if any."""

from pathlib import Path

import torch
from easy2hard.images.datasets import load_split
from easy2hard.images.lockstep import train_run
from easy2hard.pipeline.scripting import log_to, pick_device

log = log_to(snakemake)  # noqa: F821
torch.set_num_threads(snakemake.threads)  # noqa: F821
params = snakemake.params  # noqa: F821
device = pick_device(params.device)
log.info("device %s, seeds %s, checkpoints at steps %s", device, params.seeds, params.steps)

train_run(load_split(snakemake.input.train), params.spec, params.seeds,  # noqa: F821
          Path(snakemake.output[0]).parent, params.steps, device=device,  # noqa: F821
          code=params.weights_code, lockstep=params.lockstep)
