# Stage 6: wide and deep denoisers on the MCM (paper Figs. 1c, 3, A.4). One job (cell) per
# (sweep, N, width m, depth L): its runs (seeds x activations x t x lr) share shapes and
# train in lockstep as one batched computation.


rule networks_cell:
    output:
        f"{RESULTS}/networks/{{sweep}}/N{{N}}_m{{m}}_L{{L}}.parquet",
    log:
        f"{RESULTS}/logs/networks/{{sweep}}/N{{N}}_m{{m}}_L{{L}}.log",
    wildcard_constraints:
        m="[0-9]+",
        L="[0-9]+",
    conda:
        "../../envs/mcm.yaml"
    params:
        spec=lambda wc: plan.networks.cell_spec(config, wc.sweep),
        device=config["device"],
    script:
        "../scripts/networks_cell.py"


rule figure_fig3a_width:
    input:
        lambda wc: plan.networks.figure_tables(config, "fig3a_width", RESULTS),
    output:
        pdf=f"{RESULTS}/figures/fig3a_width.pdf",
        png=report(
            f"{RESULTS}/figures/fig3a_width.png",
            caption="../report/fig3a_width.rst",
            category="MCM networks",
        ),
    log:
        f"{RESULTS}/logs/figures/fig3a_width.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/figure_fig3a_width.py"


rule figure_fig3bc_depth:
    input:
        lambda wc: plan.networks.figure_tables(config, "fig3bc_depth", RESULTS),
    output:
        pdf=f"{RESULTS}/figures/fig3bc_depth.pdf",
        png=report(
            f"{RESULTS}/figures/fig3bc_depth.png",
            caption="../report/fig3bc_depth.rst",
            category="MCM networks",
        ),
    log:
        f"{RESULTS}/logs/figures/fig3bc_depth.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/figure_fig3bc_depth.py"


rule figure_figA4:
    input:
        lambda wc: plan.networks.figure_tables(config, "figA4", RESULTS),
    output:
        pdf=f"{RESULTS}/figures/figA4.pdf",
        png=report(
            f"{RESULTS}/figures/figA4.png",
            caption="../report/figA4.rst",
            category="MCM networks",
        ),
    log:
        f"{RESULTS}/logs/figures/figA4.log",
    conda:
        "../../envs/plot.yaml"
    params:
        sweeps=lambda wc: config["networks"]["figures"]["figA4"]["sweeps"],
    script:
        "../scripts/figure_figA4.py"


rule figure_fig1c_mcm_clones:
    input:
        lambda wc: plan.networks.figure_tables(config, "fig1c_mcm_clones", RESULTS),
    output:
        pdf=f"{RESULTS}/figures/fig1c_mcm_clones.pdf",
        png=report(
            f"{RESULTS}/figures/fig1c_mcm_clones.png",
            caption="../report/fig1c_mcm_clones.rst",
            category="MCM networks",
        ),
    log:
        f"{RESULTS}/logs/figures/fig1c_mcm_clones.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/figure_fig1c_mcm_clones.py"
