# Stage 5: one-neuron sweeps on the mixed cumulant model. One job (cell) per (sweep, N):
# every run of the cell (seeds x activations x projections x latent settings x t) advances
# in lockstep in one batched computation (easy2hard.engine). params carry the sweep's
# spec, so editing one sweep reruns only that sweep's cells (and the figures reading them).


def mcm_cells(sweep):
    spec = config["mcm"]["sweeps"][sweep]
    return [f"{RESULTS}/mcm/{sweep}/N{N}.parquet" for N in spec["N"]]


def mcm_tables(sweeps):
    return [path for sweep in sweeps for path in mcm_cells(sweep)]


TARGETS.extend(mcm_tables(config["mcm"]["sweeps"]))


rule mcm_sweep_cell:
    output:
        f"{RESULTS}/mcm/{{sweep}}/N{{N}}.parquet",
    log:
        f"{RESULTS}/logs/mcm/{{sweep}}/N{{N}}.log",
    conda:
        "../../envs/mcm.yaml"
    threads: 1
    params:
        # The spec without its N list: adding an N to a sweep adds a cell, reruns none.
        spec=lambda wc: {
            k: v for k, v in config["mcm"]["sweeps"][wc.sweep].items() if k != "N"
        },
        device=config["device"],
    script:
        "../scripts/mcm_sweep_cell.py"
