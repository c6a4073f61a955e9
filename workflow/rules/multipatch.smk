# Diffusion against classification feature learning (issue 14; docs/science.md §11). One job
# per objective trains every run of the synthetic experiment (seeds x n·SNR²) in lockstep
# from the same initial weights and data; one job trains both objectives on Noisy-digits.
# A figure reads only the tables it draws.

MULTIPATCH = f"{RESULTS}/multipatch"


rule multipatch_classification:
    output:
        table=f"{MULTIPATCH}/synthetic/classification.parquet",
    log:
        f"{RESULTS}/logs/multipatch/synthetic/classification.log",
    conda:
        "../../envs/images.yaml"
    threads: 1
    params:
        spec=lambda wc: plan.multipatch.synthetic_spec(config, "classification"),
        objective="classification",
    script:
        "../scripts/multipatch_synthetic.py"


rule multipatch_diffusion:
    output:
        table=f"{MULTIPATCH}/synthetic/diffusion.parquet",
        losses=f"{MULTIPATCH}/synthetic/diffusion_losses.parquet",
    log:
        f"{RESULTS}/logs/multipatch/synthetic/diffusion.log",
    conda:
        "../../envs/images.yaml"
    threads: 1
    params:
        spec=lambda wc: plan.multipatch.synthetic_spec(config, "diffusion"),
        objective="diffusion",
    script:
        "../scripts/multipatch_synthetic.py"


rule multipatch_digits:
    output:
        alignment=f"{MULTIPATCH}/digits/alignment.parquet",
        maps=f"{MULTIPATCH}/digits/maps.parquet",
    log:
        f"{RESULTS}/logs/multipatch/digits.log",
    conda:
        "../../envs/images.yaml"
    threads: 1
    params:
        spec=lambda wc: plan.multipatch.digits_spec(config),
    script:
        "../scripts/multipatch_digits.py"


rule figure_multipatch_alignment:
    input:
        plan.multipatch.synthetic_tables(RESULTS),
    output:
        pdf=f"{RESULTS}/figures/multipatch_alignment.pdf",
        png=report(
            f"{RESULTS}/figures/multipatch_alignment.png",
            caption="../report/multipatch_alignment.rst",
            category="Diffusion vs classification",
        ),
    log:
        f"{RESULTS}/logs/figures/multipatch_alignment.log",
    conda:
        "../../envs/plot.yaml"
    params:
        snr=config["multipatch"]["figures"]["alignment_snr"],
    script:
        "../scripts/figure_multipatch_alignment.py"


rule figure_multipatch_balance:
    input:
        plan.multipatch.synthetic_tables(RESULTS),
    output:
        pdf=f"{RESULTS}/figures/multipatch_balance.pdf",
        png=report(
            f"{RESULTS}/figures/multipatch_balance.png",
            caption="../report/multipatch_balance.rst",
            category="Diffusion vs classification",
        ),
    log:
        f"{RESULTS}/logs/figures/multipatch_balance.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/figure_multipatch_balance.py"


rule figure_multipatch_clones:
    input:
        f"{MULTIPATCH}/synthetic/diffusion_losses.parquet",
    output:
        pdf=f"{RESULTS}/figures/multipatch_clones.pdf",
        png=report(
            f"{RESULTS}/figures/multipatch_clones.png",
            caption="../report/multipatch_clones.rst",
            category="Diffusion vs classification",
        ),
    log:
        f"{RESULTS}/logs/figures/multipatch_clones.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/figure_multipatch_clones.py"


rule figure_multipatch_digits:
    input:
        alignment=f"{MULTIPATCH}/digits/alignment.parquet",
        maps=f"{MULTIPATCH}/digits/maps.parquet",
    output:
        pdf=f"{RESULTS}/figures/multipatch_digits.pdf",
        png=report(
            f"{RESULTS}/figures/multipatch_digits.png",
            caption="../report/multipatch_digits.rst",
            category="Diffusion vs classification",
        ),
    log:
        f"{RESULTS}/logs/figures/multipatch_digits.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/figure_multipatch_digits.py"
