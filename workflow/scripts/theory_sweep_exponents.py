"""k*, its sign and the predicted sample-complexity exponent for every setting of one MCM
sweep, so the MCM figures read their theory slopes from a table (one per sweep)."""

from easy2hard.theory import exponents
from easy2hard.pipeline.scripting import log_to
from easy2hard.core.tables import write_parquet

log = log_to(snakemake)  # noqa: F821
sweep = snakemake.wildcards.sweep  # noqa: F821
p = snakemake.params  # noqa: F821
table = exponents.sweep_exponents({sweep: p.spec}, p.kmax, p.order)
table["k_star"] = table["k_star"].astype("Int64")
for row in table.itertuples():
    log.info("%-12s t=%-5g %-10s %-10s correlated=%s k*=%s exponent=%s%s", row.activation,
             row.t, row.latent, row.spike, row.correlated, row.k_star, row.exponent,
             " x ln N" if row.log_factor else "")
write_parquet(table, snakemake.output[0])  # noqa: F821
