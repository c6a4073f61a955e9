"""Train one U-Net DDPM (one run, one seed); resume from its newest saved state if any."""

import os
import shutil
from pathlib import Path

import torch
from easy2hard.images.datasets import load_split
from easy2hard.pipeline.scripting import log_to, pick_device
from easy2hard.images.training import state_path, train, write_manifest

log = log_to(snakemake)  # noqa: F821
torch.set_num_threads(snakemake.threads)  # noqa: F821
spec, steps = snakemake.params.spec, snakemake.params.steps  # noqa: F821
seed = int(snakemake.wildcards.seed)  # noqa: F821
state_dir = Path(snakemake.params.state_dir)  # noqa: F821
device = pick_device(snakemake.params.device)  # noqa: F821
log.info("device %s, checkpoints at steps %s", device, steps)

images = load_split(snakemake.input.train)  # noqa: F821
train(images, spec, seed, state_dir, steps, device=device, resume_every=spec["resume_every"],
      code=snakemake.params.weights_code)  # noqa: F821

# Publish the checkpoints as the job's output folder: hard links to the resume states
# (a copy where links are impossible) and, last, their checksum manifest SHA256SUMS,
# assembled beside it and renamed into place. Evaluation verifies each file against it.
out = Path(snakemake.output[0])  # noqa: F821
tmp = out.with_name(out.name + ".part")
shutil.rmtree(tmp, ignore_errors=True)
tmp.mkdir(parents=True)
for step in steps:
    src = state_path(state_dir, step)
    try:
        os.link(src, tmp / src.name)
    except OSError:
        shutil.copy2(src, tmp / src.name)
write_manifest(tmp, [state_path(tmp, step).name for step in steps], recorded_in=state_dir)
shutil.rmtree(out, ignore_errors=True)
os.replace(tmp, out)
log.info("wrote %d checkpoints to %s", len(steps), out)
