"""Hermite coefficients c_k, ℓ_k, k* per activation x t x latent, and L(m) on the sphere."""

import numpy as np

from easy2hard.theory import coefficients, exponents, landscape
from easy2hard.pipeline.scripting import log_to
from easy2hard.core.tables import write_parquet

log = log_to(snakemake)
cfg = snakemake.params.theory
spikes = {name: coefficients.spike_from_config(spec) for name, spec in cfg["latents"].items()}
for name, spike in spikes.items():
    if spike.correlated and spike.beta_u <= 0:
        raise ValueError(f"config key 'theory.latents.{name}': correlated latents need beta_u > 0")
log.info("c_k, l_k up to k=%d for %d activations x %d t x %d latents (order %d)",
         cfg["kmax"], len(cfg["activations"]), len(cfg["t"]), len(spikes), cfg["order"])
hermite, exps = exponents.hermite_table(cfg["activations"], cfg["t"], spikes,
                                       cfg["kmax"], cfg["order"])
exps.insert(0, "sweep", "")
exps["k_star"] = exps["k_star"].astype("Int64")
for row in exps.itertuples():
    log.info("%-12s %-12s t=%-5g %-10s %-10s k*=%s product=%.4g learns=%s", row.sweep or "-",
             row.activation, row.t, row.latent, row.spike, row.k_star, row.product, row.learns)

m = np.linspace(0.0, 1.0, cfg["m_points"])
surface = landscape.landscape_table(cfg["activations"], cfg["t"], spikes, m, cfg["kmax"],
                                    cfg["order"])
write_parquet(hermite, snakemake.output.hermite)
write_parquet(exps, snakemake.output.exponents)
write_parquet(surface, snakemake.output.landscape)
log.info("wrote %d + %d + %d rows", len(hermite), len(exps), len(surface))
