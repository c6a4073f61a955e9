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


rule figure_mcm_overlap_vs_n:
    input:
        tables=lambda wc: plan.mcm.tables(
            config, plan.mcm.figure_sweeps(config, "mcm_overlap_vs_n"), RESULTS
        ),
        exponents=lambda wc: plan.mcm.exponents(
            plan.mcm.figure_sweeps(config, "mcm_overlap_vs_n"), RESULTS
        ),
    output:
        pdf=f"{RESULTS}/figures/mcm_overlap_vs_n.pdf",
        png=report(
            f"{RESULTS}/figures/mcm_overlap_vs_n.png",
            caption="../report/mcm_overlap_vs_n.rst",
            category="MCM",
        ),
    log:
        f"{RESULTS}/logs/figures/mcm_overlap_vs_n.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/figure_mcm_overlap_vs_n.py"


rule figure_mcm_threshold_scaling:
    input:
        tables=lambda wc: plan.mcm.tables(
            config, plan.mcm.figure_sweeps(config, "mcm_threshold_scaling"), RESULTS
        ),
        exponents=lambda wc: plan.mcm.exponents(
            plan.mcm.figure_sweeps(config, "mcm_threshold_scaling"), RESULTS
        ),
    output:
        pdf=f"{RESULTS}/figures/mcm_threshold_scaling.pdf",
        png=report(
            f"{RESULTS}/figures/mcm_threshold_scaling.png",
            caption="../report/mcm_threshold_scaling.rst",
            category="MCM",
        ),
    log:
        f"{RESULTS}/logs/figures/mcm_threshold_scaling.log",
    conda:
        "../../envs/plot.yaml"
    params:
        level=lambda wc: config["figures"]["mcm_threshold_scaling"]["level"],
        bootstrap=lambda wc: config["figures"]["mcm_threshold_scaling"]["bootstrap"],
    script:
        "../scripts/figure_mcm_threshold_scaling.py"


rule figure_mcm_projection:
    input:
        lambda wc: plan.mcm.tables(
            config, plan.mcm.figure_sweeps(config, "mcm_projection"), RESULTS
        ),
    output:
        pdf=f"{RESULTS}/figures/mcm_projection.pdf",
        png=report(
            f"{RESULTS}/figures/mcm_projection.png",
            caption="../report/mcm_projection.rst",
            category="MCM",
        ),
    log:
        f"{RESULTS}/logs/figures/mcm_projection.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/figure_mcm_projection.py"
