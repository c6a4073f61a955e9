"""The d -> inf limit of the learning curves by a fit in 1/d, and the peaks (docs/science.md §13.7)."""

from easy2hard.core.io import read_parquets, write_parquet
from easy2hard.pipeline.scripting import log_to
from easy2hard.random_features import extrapolate

log = log_to(snakemake)
curves = read_parquets(snakemake.input)
table = extrapolate.extrapolate(curves)
for curve, along in (("psi_p", "psi_p"), ("psi_n", "psi_n")):
    pk = extrapolate.peaks(curves[curves["curve"] == curve], along)
    for _, row in pk.iterrows():
        log.info("%s curve d=%d m=%g lambda=%g: test error peaks at %s=%g (%.3g)", curve,
                 row["d"], row["m"], row["lambda"], along, row["peak_at"], row["peak_value"])
write_parquet(table, snakemake.output[0])
log.info("wrote %d rows (%d dims)", len(table), curves["d"].nunique())
