"""The radial term L_0(r) = Δ_t E_g[r² σ(rg)² - 2 r g σ(rg) + 2 r² σ'(rg)] on a grid of r."""

from easy2hard.theory import radial
from easy2hard.pipeline.scripting import log_to
from easy2hard.core.tables import write_parquet

log = log_to(snakemake)
cfg = snakemake.params.theory
r = radial.r_grid(cfg["r"])
table = radial.radial_table(cfg["activations"], cfg["t"], r, cfg["radial_beta_v"], cfg["order"])
for (act, t), grp in table.groupby(["activation", "t"]):
    log.info("%-12s t=%-5g L0(r=%.3g)=%.4g  w=0 attracts: %s", act, t, r[-1],
             grp["L0"].iloc[-1], grp["zero_attracts"].iloc[0])
write_parquet(table, snakemake.output[0])
log.info("wrote %d rows", len(table))
