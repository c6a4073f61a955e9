# Stage 5: one-neuron sweeps on the mixed cumulant model. One job (cell) per (sweep, N):
# every run of the cell (seeds x activations x projections x latent settings x t) advances
# in lockstep in one batched computation.


def mcm_cells(sweep):
    spec = config["mcm"]["sweeps"][sweep]
    return [f"{RESULTS}/mcm/{sweep}/N{N}.parquet" for N in spec["N"]]


def mcm_tables(sweeps):
    return [path for sweep in sweeps for path in mcm_cells(sweep)]


TARGETS.extend(mcm_tables(config["mcm"]["sweeps"]))


rule mcm_sweep_cell:
    output:
        f"{RESULTS}/mcm/{{sweep}}/N{{N}}.parquet",
    params:
        spec=lambda wc: config["mcm"]["sweeps"][wc.sweep],
        device=config["device"],
    log:
        f"{RESULTS}/logs/mcm/{{sweep}}/N{{N}}.log",
    conda:
        "../../envs/mcm.yaml"
    script:
        "../scripts/mcm_sweep_cell.py"
