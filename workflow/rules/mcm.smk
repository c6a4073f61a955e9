# One-neuron sweeps on the mixed cumulant model. One job (cell) per (sweep, N): every run of
# the cell (seeds x activations x projections x latent settings x t) advances in one call of
# the engine (easy2hard.mcm.train). params carry the sweep's spec, so editing one sweep
# reruns only that sweep's cells (and what reads them). The figures are generated from the
# registry in easy2hard/pipeline/plan/mcm.py (workflow/rules/figures.smk).


rule mcm_sweep_cell:
    """One cell of an MCM sweep (one N): every run of the sweep trained in lockstep by the chosen engine."""
    output:
        **plan.job_outputs(RESULTS, "mcm_sweep_cell"),
    log:
        f"{RESULTS}/logs/mcm/{{sweep}}/N{{N}}.log",
    conda:
        "../../envs/numerics.yaml"
    threads: 1
    params:
        **plan.job_params(config, "mcm_sweep_cell"),
    script:
        "../scripts/mcm_sweep_cell.py"


rule mcm_thresholds:
    """Simulated n* per sweep and N with its interval, against the overlap SDE's predicted n*."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "mcm_thresholds")),
    output:
        **plan.job_outputs(RESULTS, "mcm_thresholds"),
    log:
        f"{RESULTS}/logs/mcm/thresholds.log",
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "mcm_thresholds"),
    script:
        "../scripts/mcm_thresholds.py"
