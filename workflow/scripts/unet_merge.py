"""Concatenate per-checkpoint tables (losses or samples) into one table per run."""

from easy2hard.pipeline.scripting import log_to
from easy2hard.core.tables import read_parquets, write_parquet

log = log_to(snakemake)  # noqa: F821
table = read_parquets(snakemake.input)  # noqa: F821
sort = [c for c in ("seed", "step", "set", "t", "index") if c in table]
write_parquet(table.sort_values(sort, kind="stable").reset_index(drop=True), snakemake.output[0])  # noqa: F821
log.info("merged %d tables, %d rows", len(snakemake.input), len(table))  # noqa: F821
