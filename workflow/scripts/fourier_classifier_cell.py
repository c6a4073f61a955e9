"""One N of the phase classification sweep: online SGD on one spherical neuron telling the
synthetic model's signals from their random-phase clones, every alpha x seed (docs/science.md §12.5)."""

from easy2hard.core import tables
from easy2hard.fourier import classifier
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
spec, N = snakemake.params.spec, int(snakemake.wildcards.N)  # noqa: F821
log.info("N = %d: %d alphas x %d seeds", N, len(spec["alpha"]), len(spec["seeds"]))
df = classifier.cell(N, spec, log)
tables.write_parquet(df, snakemake.output[0])  # noqa: F821
last = df.sort_values("n").groupby(["alpha", "seed"]).tail(1)
log.info("final test errors (level, oracle):\n%s",
         last[["alpha", "seed", "n", "error", "error_level", "oracle_error"]].to_string(index=False))
