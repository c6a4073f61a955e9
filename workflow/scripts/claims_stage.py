"""One stage's claims decided from its tables (rule claims_<stage>)."""

from pathlib import Path

from easy2hard.core.tables import write_parquet
from easy2hard.pipeline.claims import evaluate_stage
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
sm = snakemake  # noqa: F821
inputs = {key: list(paths) for key, paths in sm.input.items()}
table = evaluate_stage(inputs, dict(sm.params.spec), Path(sm.scriptdir).parents[1])
for row in table.itertuples():
    log.info("%s: %s (%s)", row.id, row.verdict, row.reason)
write_parquet(table, sm.output[0])
