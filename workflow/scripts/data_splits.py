"""Build one dataset's train/val/test splits (float32 .npy) and its Parquet manifest."""

from easy2hard.images import datasets
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
name, spec = snakemake.wildcards.dataset, snakemake.params.spec  # noqa: F821
log.info("building %s from %s", name, spec)
paths = {split: getattr(snakemake.output, split) for split in datasets.SPLITS}  # noqa: F821
manifest = datasets.write(name, spec, snakemake.params.root, paths,  # noqa: F821
                          snakemake.output.manifest)  # noqa: F821
log.info("manifest:\n%s", manifest[[c for c in manifest.columns if not c.startswith(
    ("sha256", "source_"))]].to_string())
