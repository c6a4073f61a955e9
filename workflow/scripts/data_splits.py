"""Build one dataset's train/val/test splits (float32 .npy) and its Parquet manifest."""

from easy2hard.images import datasets
from easy2hard.core import tables
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
name, spec = snakemake.wildcards.dataset, snakemake.params.spec  # noqa: F821
log.info("building %s from %s", name, spec)
splits = datasets.build(name, spec, root=snakemake.params.root)  # noqa: F821
paths = {split: getattr(snakemake.output, split) for split in datasets.SPLITS}  # noqa: F821
for split, x in splits.items():
    tables.write_npy(x, paths[split])
    log.info("%s %s: %s, mean %.4f, std %.4f", name, split, x.shape, x.mean(), x.std())
manifest = datasets.manifest(name, paths, spec["range"])
tables.write_parquet(manifest, snakemake.output.manifest)  # noqa: F821
log.info("manifest:\n%s", manifest.drop(columns="sha256").to_string())
