"""Render one Parquet table as an HTML page for the report (snakemake --report)."""

from easy2hard.pipeline.report import table_html
from easy2hard.pipeline.scripting import log_to
from easy2hard.core.tables import atomic_path, read_parquet

log = log_to(snakemake)

source = snakemake.input[0]
df = read_parquet(source)
page = table_html(df, title=snakemake.wildcards.table, source=source,
                  max_rows=snakemake.params.max_rows)
with atomic_path(snakemake.output[0]) as tmp:
    tmp.write_text(page, encoding="utf-8")
log.info("%s: %d rows, %d columns", source, len(df), df.shape[1])
