# Stage random_features (docs/science.md §13): denoising score matching with random features on
# a Gaussian target, solved exactly by ridge regression. One job per (curve, d), per d of the
# m = 1 convergence check, per (activation, t) of the phase diagram, one for the samples; the
# d -> inf table reads every curve. Figures: generated from plan.random_features.FIGURES.


rule random_features_curve:
    """Exact finite-d DSM test and train errors of random features along one learning curve at one d."""
    output:
        **plan.job_outputs(RESULTS, "random_features_curve"),
    log:
        f"{RESULTS}/logs/random_features/curves/{{curve}}_d{{d}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "random_features_curve"),
    conda:
        "../../envs/numerics.yaml"
    threads: 1
    params:
        **plan.job_params(config, "random_features_curve"),
    script:
        "../scripts/random_features_curve.py"


rule random_features_convergence:
    """Finite-d errors at one d, to check the approach to the d = infinity limit."""
    output:
        **plan.job_outputs(RESULTS, "random_features_convergence"),
    log:
        f"{RESULTS}/logs/random_features/convergence/d{{d}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "random_features_convergence"),
    conda:
        "../../envs/numerics.yaml"
    threads: 1
    params:
        **plan.job_params(config, "random_features_convergence"),
    script:
        "../scripts/random_features_convergence.py"


rule random_features_limit:
    """The d = infinity rows: the derived m = 1 limit, its optimal ridge, and the 1/d fit where no limit is derived."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "random_features_limit")),
    output:
        **plan.job_outputs(RESULTS, "random_features_limit"),
    log:
        f"{RESULTS}/logs/random_features/limit.log",
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "random_features_limit"),
    script:
        "../scripts/random_features_limit.py"


rule random_features_phase:
    """Memorisation phase diagram in (psi_n, psi_p) for one activation and time t."""
    output:
        **plan.job_outputs(RESULTS, "random_features_phase"),
    log:
        f"{RESULTS}/logs/random_features/phase/{{activation}}_t{{t}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "random_features_phase"),
    conda:
        "../../envs/numerics.yaml"
    threads: 1
    params:
        **plan.job_params(config, "random_features_phase"),
    script:
        "../scripts/random_features_phase.py"


rule random_features_samples:
    """Samples of random-features scores: norms and nearest-training distances."""
    output:
        **plan.job_outputs(RESULTS, "random_features_samples"),
    log:
        f"{RESULTS}/logs/random_features/samples.log",
    conda:
        "../../envs/numerics.yaml"
    threads: 1
    params:
        **plan.job_params(config, "random_features_samples"),
    script:
        "../scripts/random_features_samples.py"
