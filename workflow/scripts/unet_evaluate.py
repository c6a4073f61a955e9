"""DDPM loss of one checkpoint on train, test and the clones (common random numbers), beside
the reference denoisers' losses on the same images."""

import torch
from easy2hard.core.tables import read_parquet
from easy2hard.images.datasets import load_split
from easy2hard.pipeline.scripting import log_to, pick_device
from easy2hard.core.tables import write_parquet
from easy2hard.images.evaluation import evaluate
from easy2hard.images.training import (load_model, schedule, state_path, training_subset,
                                        verify_checkpoint)

log = log_to(snakemake)  # noqa: F821
torch.set_num_threads(snakemake.threads)  # noqa: F821
wc, spec, ev = snakemake.wildcards, snakemake.params.spec, snakemake.params.evaluation  # noqa: F821
seed, step = int(wc.seed), int(wc.step)
device = pick_device(snakemake.params.device)  # noqa: F821

sets = {}
for name in dict.fromkeys(["test", *ev["sets"]]):  # test first: the reference
    images = load_split(snakemake.input[name])  # noqa: F821
    if name == "train":  # the run's own training subset, in a fixed order
        images = images[training_subset(len(images), spec["train_subset"], seed)]
    sets[name] = images
ckpt = verify_checkpoint(state_path(snakemake.input.ckpt, step))  # noqa: F821  (SHA256SUMS)
model = load_model(ckpt, spec, sets["test"].shape[1], device)
reference = read_parquet(snakemake.input.reference) if ev["reference"] else None  # noqa: F821
table = evaluate(model, sets, ev["n_images"], ev["fixed_k"], schedule(spec), ev["seed"],
                 batch=ev["batch"], device=device, denoisers=reference)
if "test" not in ev["sets"]:
    table = table[table.set != "test"]
table = table.assign(dataset=wc.dataset, run=wc.run, seed=seed, step=step)
write_parquet(table, snakemake.output[0])  # noqa: F821
log.info("step %d:\n%s", step, table.to_string())
