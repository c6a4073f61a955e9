"""One N of the denoiser sweep: the wide tied autoencoder of the networks stage (plus, with
linear_start, the fixed best linear noise predictor) trained on |k|^-α signals with sparse
phases, R = α × seeds runs in lockstep (docs/science.md §12.3)."""

import torch

from easy2hard.core import tables
from easy2hard.pipeline.fourier_autoencoder import synthetic_cell
from easy2hard.pipeline.scripting import log_to, pick_device

log = log_to(snakemake)  # noqa: F821
torch.set_num_threads(snakemake.threads)  # noqa: F821
device = pick_device(snakemake.params.device)  # noqa: F821
df = synthetic_cell(snakemake.params.spec, int(snakemake.wildcards.N), device, log)  # noqa: F821
tables.write_parquet(df, snakemake.output[0])  # noqa: F821
