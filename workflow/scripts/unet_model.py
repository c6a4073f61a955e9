"""One row naming a U-Net run's data and model (kind, parameter count, steps)."""

from easy2hard.core.tables import write_parquet
from easy2hard.images.description import describe
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
sm = snakemake  # noqa: F821
wc = sm.wildcards
table = describe(wc.dataset, wc.run, dict(sm.params.spec), int(sm.params.channels),
                 list(sm.params.steps))
write_parquet(table, sm.output[0])
log.info("%s", table["text"].iloc[0])
