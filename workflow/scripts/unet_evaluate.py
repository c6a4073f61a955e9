"""DDPM losses of every seed of a run at one share of its checkpoints, on train, test and the
clones (common random numbers), beside the reference denoisers' losses on the same images;
per-checkpoint tables are reused from the run's evaluation cache."""

import torch
from easy2hard.core.tables import write_parquet
from easy2hard.images.share_evaluation import ShareJob, evaluate_share
from easy2hard.pipeline.scripting import log_to, pick_device

log = log_to(snakemake)  # noqa: F821
torch.set_num_threads(snakemake.threads)  # noqa: F821
par = snakemake.params  # noqa: F821
inp, wc = snakemake.input, snakemake.wildcards  # noqa: F821
seeds = [int(s) for s in par.seeds]
references = inp.reference if par.evaluation["reference"] else [None] * len(seeds)
job = ShareJob(checkpoints=dict(zip(seeds, inp.ckpt)), references=dict(zip(seeds, references)),
               set_files={name: inp[name] for name in ["test", "train", *par.evaluation["sets"]]},
               steps_ks={int(s): ks for s, ks in par.steps_ks.items()}, spec=par.spec,
               evaluation=par.evaluation, cache_dir=par.cache_dir, code=par.evaluation_code,
               device=str(pick_device(par.device)))
table = evaluate_share(job).assign(dataset=wc.dataset, run=wc.run)
write_parquet(table, snakemake.output[0])  # noqa: F821
log.info("share %s:\n%s", wc.share, table.to_string())
