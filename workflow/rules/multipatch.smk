# Diffusion against classification feature learning (docs/science.md §11). One job per
# objective trains every run of the synthetic grids in lockstep from the same initial weights
# and data; one job labels the phases and fits the scalings; one job trains both objectives
# on Noisy-digits. The figures are generated from the stage's registry (figures.smk).


rule multipatch_classification:
    """Two-layer classifier on the two-patch data over the n SNR^2, width and seed grids."""
    output:
        **plan.job_outputs(RESULTS, "multipatch_classification"),
    log:
        f"{RESULTS}/logs/multipatch/synthetic/classification.log",
    conda:
        "../../envs/images.yaml"
    threads: 1
    params:
        **plan.job_params(config, "multipatch_classification"),
    script:
        "../scripts/multipatch_synthetic.py"


rule multipatch_diffusion:
    """Two-layer denoiser on the two-patch data over the same grids, with its clones' losses."""
    output:
        **plan.job_outputs(RESULTS, "multipatch_diffusion"),
    log:
        f"{RESULTS}/logs/multipatch/synthetic/diffusion.log",
    conda:
        "../../envs/images.yaml"
    threads: 1
    params:
        **plan.job_params(config, "multipatch_diffusion"),
    script:
        "../scripts/multipatch_synthetic.py"


rule multipatch_literal:
    """The paper's literal diffusion setting (sum loss, eta = 0.5, 40 000 steps), 3 seeds x 2 n SNR^2."""
    output:
        **plan.job_outputs(RESULTS, "multipatch_literal"),
    log:
        f"{RESULTS}/logs/multipatch/literal.log",
    conda:
        "../../envs/images.yaml"
    threads: 1
    params:
        **plan.job_params(config, "multipatch_literal"),
    script:
        "../scripts/multipatch_literal.py"


rule multipatch_phases:
    """Growth and stationary phases of every run, and the slopes and width exponents with bootstrap CIs."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "multipatch_phases")),
    output:
        **plan.job_outputs(RESULTS, "multipatch_phases"),
    log:
        f"{RESULTS}/logs/multipatch/synthetic/phases.log",
    conda:
        "../../envs/plot.yaml"
    params:
        **plan.job_params(config, "multipatch_phases"),
    script:
        "../scripts/multipatch_phases.py"


rule multipatch_digits:
    """Noisy-digits: classifier and denoiser alignments over the SNR~ sweep and seeds."""
    output:
        **plan.job_outputs(RESULTS, "multipatch_digits"),
    log:
        f"{RESULTS}/logs/multipatch/digits.log",
    conda:
        "../../envs/images.yaml"
    threads: 1
    params:
        **plan.job_params(config, "multipatch_digits"),
    script:
        "../scripts/multipatch_digits.py"
