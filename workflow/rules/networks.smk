# Wide and deep denoisers on the MCM (paper Figs. 1c, 3, A.4). One job (cell) per
# (sweep, N, width m, depth L): its runs (seeds x activations x t x lr) share shapes and
# train in lockstep as one batched computation. The figures are generated from the stage's
# figure registry (easy2hard.pipeline.plan.networks, workflow/rules/figures.smk).


rule networks_cell:
    """One cell of a network sweep: every run with this (N, width m, depth L), trained in lockstep; its table."""
    output:
        **plan.job_outputs(RESULTS, "networks_cell"),
    log:
        f"{RESULTS}/logs/networks/{{sweep}}/N{{N}}_m{{m}}_L{{L}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "networks_cell"),
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "networks_cell"),
    script:
        "../scripts/networks_cell.py"
