"""Simulated n* (seed bootstrap CI) against the overlap SDE's predicted n*, per sweep and N."""

from easy2hard.core.tables import read_parquets, write_parquet
from easy2hard.mcm import analysis
from easy2hard.pipeline.scripting import log_to

log = log_to(snakemake)  # noqa: F821
sm = snakemake  # noqa: F821
o = sm.params.options
table = analysis.threshold_table(read_parquets(sm.input.tables), read_parquets(sm.input.predicted),
                                 o["level"], o["bootstrap"])
for row in table.itertuples():
    log.info("%-22s N=%-5d n*=%.4g [%.4g, %.4g] predicted %.4g (drift only %.4g) ratio %.3f %s",
             row.sweep, row.N, row.n_star, row.n_star_lo, row.n_star_hi, row.n_star_pred,
             row.n_star_drift, row.ratio, "within CI" if row.within else "OUTSIDE CI")
for row in analysis.score_summary(table).itertuples():
    log.info("score %-22s cells=%d  sum z^2 on ln n*: SDE %.1f, drift only %.1f; "
             "mean ln(sim/SDE) %+.3f", row.sweep, row.cells, row.chi2_pred, row.chi2_drift,
             row.log_ratio)
write_parquet(table, sm.output[0])
