"""DDPM loss of one checkpoint trained elsewhere (a diffusers UNet2DModel folder) on test,
train and every clone, beside the reference denoisers' losses on the same images."""

import torch
from easy2hard.core.tables import write_parquet
from easy2hard.images.external import evaluate_folder
from easy2hard.pipeline.scripting import log_to, pick_device

log = log_to(snakemake)  # noqa: F821
torch.set_num_threads(snakemake.threads)  # noqa: F821
sm = snakemake  # noqa: F821
wc = sm.wildcards
theirs = sm.params.external
log.info("model %s; %s", theirs["folder"], theirs["scheduler"])
table = evaluate_folder(theirs["folder"], dict(sm.input.items()), sm.params.spec,
                        sm.params.evaluation, int(wc.seed), pick_device(sm.params.device))
table = table.assign(dataset=wc.dataset, run=wc.run, seed=int(wc.seed), step=int(wc.step))
write_parquet(table, sm.output[0])
log.info("step %s:\n%s", wc.step, table.to_string())
