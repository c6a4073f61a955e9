# Stage 7: figures. Each reads only the Parquet tables it draws.


for _name in ("mcm_overlap_vs_n", "mcm_threshold_scaling", "mcm_projection"):
    if _name in config["figures"]:
        TARGETS.extend(figure_files(_name))


rule figure_mcm_overlap_vs_n:
    input:
        tables=lambda wc: mcm_tables(figure_sweeps("mcm_overlap_vs_n")),
        exponents=lambda wc: sweep_exponents(figure_sweeps("mcm_overlap_vs_n")),
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
        tables=lambda wc: mcm_tables(figure_sweeps("mcm_threshold_scaling")),
        exponents=lambda wc: sweep_exponents(figure_sweeps("mcm_threshold_scaling")),
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
    script:
        "../scripts/figure_mcm_threshold_scaling.py"


rule figure_mcm_projection:
    input:
        lambda wc: mcm_tables(figure_sweeps("mcm_projection")),
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
