"""Publish one seed's checkpoint folder from the run's SHA256SUMS (hard links, checked)."""

from easy2hard.images.checkpoints import publish
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
out = publish(snakemake.input[0], f"seed{snakemake.wildcards.seed}", snakemake.output[0])  # noqa: F821
log.info("published %s", out)
