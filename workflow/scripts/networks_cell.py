"""One cell of a network sweep: every run with this (N, width m, depth L), in lockstep."""

import torch

from easy2hard.core.tables import write_parquet
from easy2hard.networks.cell import run_cell
from easy2hard.pipeline.scripting import log_to, pick_device

log = log_to(snakemake)  # noqa: F821
wc = snakemake.wildcards  # noqa: F821
device = pick_device(snakemake.params.device)  # noqa: F821
if device.type == "cpu":
    torch.set_num_threads(max(1, snakemake.threads))  # noqa: F821
table = run_cell(wc.sweep, snakemake.params.spec, int(wc.N), int(wc.m), int(wc.L), device)  # noqa: F821
write_parquet(table, snakemake.output[0])  # noqa: F821
