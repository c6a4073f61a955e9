"""Ancestral-sampling grid of one checkpoint: a PNG and a table of the images (seeded)."""

import math

import numpy as np
import torch
from easy2hard.core import ddpm
from easy2hard.images import grid as image_grid
from easy2hard.pipeline.scripting import log_to, pick_device
from easy2hard.core.tables import atomic_path, write_parquet
from easy2hard.images.training import load_model, schedule, state_path
from PIL import Image
from tqdm import tqdm

log = log_to(snakemake)  # noqa: F821
torch.set_num_threads(snakemake.threads)  # noqa: F821
wc, spec, opts = snakemake.wildcards, snakemake.params.spec, snakemake.params.samples  # noqa: F821
step = int(wc.step)
device = pick_device(snakemake.params.device)  # noqa: F821

state = state_path(snakemake.input.ckpt, step)  # noqa: F821
size = int(snakemake.params.size)  # noqa: F821
model = load_model(state, spec, device=device)
channels = model.out.weight.shape[0]
gen = torch.Generator().manual_seed(opts["seed"])
images = ddpm.sample(model, opts["n"], (channels, size, size), schedule(spec), gen, device,
                     progress=lambda it: tqdm(it, mininterval=10, desc=f"step {step}")).numpy()

nrow = math.ceil(math.sqrt(opts["n"]))
tile = image_grid.grid(images, nrow, snakemake.params.range)  # noqa: F821
with atomic_path(snakemake.output.png) as tmp:  # noqa: F821
    Image.fromarray((tile * 255).round().astype(np.uint8)).save(tmp, format="PNG")
write_parquet(image_grid.to_table(images, dataset=wc.dataset, run=wc.run, seed=int(wc.seed), step=step),
              snakemake.output.table)  # noqa: F821
log.info("sampled %d images at step %d", opts["n"], step)
