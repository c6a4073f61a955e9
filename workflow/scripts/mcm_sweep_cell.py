"""One MCM sweep cell: every run of (sweep, N) trained by the sweep's engine; one Parquet table."""

from easy2hard.core.tables import write_parquet
from easy2hard.mcm import sweeps
from easy2hard.pipeline.scripting import log_to, pick_device

log = log_to(snakemake)  # noqa: F821
sm = snakemake  # noqa: F821
log.info("sweep %s", sm.wildcards.sweep)
full = sm.params.spec["engine"] == "full"  # the reduced engine needs no device (nor torch)
table = sweeps.train_cell(sm.params.spec, int(sm.wildcards.N), threads=sm.threads,
                          device=pick_device(sm.params.device) if full else None, log=log)
table.insert(0, "sweep", sm.wildcards.sweep)
write_parquet(table, sm.output[0])
