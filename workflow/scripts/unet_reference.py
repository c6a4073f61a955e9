"""Per-image losses of the reference denoisers (Wiener, empirical optimum) fitted on the run's
training subset, on every evaluation set, with the evaluation's shared ε and k."""

import torch
from easy2hard.core.tables import write_parquet
from easy2hard.core.progress import Progress
from easy2hard.images.datasets import load_split
from easy2hard.images.evaluation import reference_losses
from easy2hard.images.training import schedule, training_subset
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
torch.set_num_threads(snakemake.threads)  # noqa: F821
spec, ev = snakemake.params.spec, snakemake.params.evaluation  # noqa: F821
seed = int(snakemake.wildcards.seed)  # noqa: F821
train = load_split(snakemake.input.train)  # noqa: F821
train = train[training_subset(len(train), spec["train_subset"], seed)]
sets = {name: train if name == "train" else load_split(snakemake.input[name])  # noqa: F821
        for name in dict.fromkeys(["test", *ev["sets"]])}  # test first, as in unet_evaluate
bar = Progress(len(ev["reference"]) * len(sets), log, what="sets")
table = reference_losses(sets, train, ev["reference"], ev["n_images"], snakemake.params.fixed_k,  # noqa: F821
                         schedule(spec), ev["seed"], progress=bar.update)
bar.finish()
write_parquet(table, snakemake.output[0])  # noqa: F821
log.info("mean loss per denoiser, set and t:\n%s",
         table.groupby(["denoiser", "t", "set"])["loss"].mean().unstack("set").to_string())
