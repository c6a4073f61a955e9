"""The d -> inf learning curves: derived at m = 1, fitted in 1/d otherwise, and the peaks
(docs/science.md §13.7)."""

from easy2hard.core.tables import read_parquets, write_parquet
from easy2hard.pipeline.scripting import log_to
from easy2hard.random_features import extrapolate

log = log_to(snakemake)
spec = snakemake.params.spec
curves = read_parquets(snakemake.input)
table = extrapolate.limit_table(curves, spec["lambdas"], spec["t"], spec["activation"])
for curve in ("psi_p", "psi_n"):
    pk = extrapolate.peaks(curves[curves["curve"] == curve], curve)
    for _, row in pk.iterrows():
        log.info("%s curve d=%d m=%g lambda=%g%s: test error peaks at %s=%g (%.3g)", curve,
                 row["d"], row["m"], row["lambda"],
                 f" psi_n={row['psi_n']:g}" if "psi_n" in row else "", curve, row["peak_at"],
                 row["peak_value"])
write_parquet(table, snakemake.output[0])
log.info("wrote %d rows (%s)", len(table), table["method"].value_counts().to_dict())
