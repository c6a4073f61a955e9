# Stage 5: one-neuron sweeps on the mixed cumulant model. One job (cell) per (sweep, N):
# every run of the cell (seeds x activations x projections x latent settings x t) advances
# in lockstep in one batched computation (easy2hard.mcm.engine). params carry the sweep's
# spec, so editing one sweep reruns only that sweep's cells (and the figures reading them).


rule mcm_sweep_cell:
    output:
        f"{RESULTS}/mcm/{{sweep}}/N{{N}}.parquet",
    log:
        f"{RESULTS}/logs/mcm/{{sweep}}/N{{N}}.log",
    conda:
        "../../envs/mcm.yaml"
    threads: 1
    params:
        spec=lambda wc: plan.mcm.sweep_spec(config, wc.sweep),
        device=config["device"],
    script:
        "../scripts/mcm_sweep_cell.py"
