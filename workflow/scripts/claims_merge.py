"""Every stage's claims in one table and the report's Claims page (rule claims_merge)."""

from easy2hard.core.tables import read_parquet, write_parquet, write_text
from easy2hard.pipeline.claims import counts_line, merge
from easy2hard.pipeline.claims_report import page
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
sm = snakemake  # noqa: F821
table = merge([read_parquet(path) for path in sm.input])
write_parquet(table, sm.output.table)
write_text(page(table, figures="figures"), sm.output.page)
log.info("%s", counts_line(table))
