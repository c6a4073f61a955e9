"""Label the phases of every synthetic run, summarise each run, and fit the n·SNR² slopes,
the classifier's switch point and the width exponents with seed-bootstrap CIs
(docs/science.md §11.7)."""

import pandas as pd

from easy2hard.core.tables import read_parquet, read_parquets, write_parquet
from easy2hard.multipatch import phases
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
settings = snakemake.params.settings  # noqa: F821
alignment = read_parquets(snakemake.input.tables)  # noqa: F821
out = phases.summarise(alignment, read_parquet(snakemake.input.losses), settings["analysis"],  # noqa: F821
                       settings["grid"])
for name, table in out.items():
    write_parquet(table, snakemake.output[name])  # noqa: F821
with pd.option_context("display.width", 200, "display.max_columns", 20):
    log.info("fits:\n%s", out["fits"].to_string())
