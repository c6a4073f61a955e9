# Gaussian clones of each dataset's test split (docs/science.md §7): the fitted mean
# mu.npy (1, H, W) and covariance cov.npy (D, D), one job per clone set
# {mean: N(μ, I), meancov: N(μ, Σ), mean_iso: N(μ, σ̄² I)}, and the example figure.


wildcard_constraints:
    clone=plan.images.CLONE_PATTERN,


rule clones_fit:
    """Fit a dataset's Gaussian clones: the test split's mean and covariance root."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "clones_fit")),
    output:
        **plan.job_outputs(RESULTS, "clones_fit"),
    log:
        f"{RESULTS}/logs/clones/{{dataset}}/fit.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "clones_fit"),
    conda:
        "../../envs/images.yaml"
    params:
        **plan.job_params(config, "clones_fit"),
    script:
        "../scripts/clones_fit.py"


rule clones_sample:
    """Draw one Gaussian clone (mean, mean_iso or meancov) of a dataset's test split."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "clones_sample")),
    output:
        **plan.job_outputs(RESULTS, "clones_sample"),
    log:
        f"{RESULTS}/logs/clones/{{dataset}}/{{clone}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "clones_sample"),
    conda:
        "../../envs/images.yaml"
    params:
        **plan.job_params(config, "clones_sample"),
    script:
        "../scripts/clones_sample.py"


rule clones_examples:
    """A few test images beside their Gaussian clones, for the examples figure."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "clones_examples")),
    output:
        **plan.job_outputs(RESULTS, "clones_examples"),
    log:
        f"{RESULTS}/logs/clones/{{dataset}}/examples.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "clones_examples"),
    conda:
        "../../envs/images.yaml"
    params:
        **plan.job_params(config, "clones_examples"),
    script:
        "../scripts/clones_examples.py"


rule clones_twin:
    """Draw the Gaussian twin N(μ_S, Σ_S) of one non-Gaussian set S (train or a Fourier clone), fitted on all of S."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "clones_twin")),
    output:
        **plan.job_outputs(RESULTS, "clones_twin"),
    log:
        f"{RESULTS}/logs/clones/{{dataset}}/twin_{{source}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "clones_twin"),
    conda:
        "../../envs/images.yaml"
    params:
        **plan.job_params(config, "clones_twin"),
    script:
        "../scripts/clones_twin.py"
