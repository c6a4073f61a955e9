# Gaussian clones of each dataset's test split (docs/science.md §7): the fitted mean
# mu.npy (1, H, W) and covariance cov.npy (D, D), one job per clone set
# {mean: N(μ, I), meancov: N(μ, Σ), mean_iso: N(μ, σ̄² I)}, and the example figure.


wildcard_constraints:
    clone=plan.images.CLONE_PATTERN,


rule clones_fit:
    """Fit a dataset's Gaussian clones: the test split's mean and covariance root."""
    input:
        test=f"{RESULTS}/data/{{dataset}}/test.npy",
    output:
        mu=f"{RESULTS}/clones/{{dataset}}/mu.npy",
        cov=f"{RESULTS}/clones/{{dataset}}/cov.npy",
    log:
        f"{RESULTS}/logs/clones/{{dataset}}/fit.log",
    conda:
        "../../envs/images.yaml"
    script:
        "../scripts/clones_fit.py"


rule clones_sample:
    """Draw one Gaussian clone (mean, mean_iso or meancov) of a dataset's test split."""
    input:
        mu=f"{RESULTS}/clones/{{dataset}}/mu.npy",
        cov=f"{RESULTS}/clones/{{dataset}}/cov.npy",
        test=f"{RESULTS}/data/{{dataset}}/test.npy",
    output:
        f"{RESULTS}/clones/{{dataset}}/{{clone}}.npy",
    log:
        f"{RESULTS}/logs/clones/{{dataset}}/{{clone}}.log",
    conda:
        "../../envs/images.yaml"
    params:
        **plan.job_params(config, "clones_sample"),
    script:
        "../scripts/clones_sample.py"


rule clones_examples:
    """A few test images beside their Gaussian clones, for the examples figure."""
    input:
        **{
            clone: f"{RESULTS}/clones/{{dataset}}/{clone}.npy"
            for clone in plan.images.CLONES
        },
        test=f"{RESULTS}/data/{{dataset}}/test.npy",
    output:
        f"{RESULTS}/clones/{{dataset}}/examples.parquet",
    log:
        f"{RESULTS}/logs/clones/{{dataset}}/examples.log",
    conda:
        "../../envs/images.yaml"
    params:
        **plan.job_params(config, "clones_examples"),
    script:
        "../scripts/clones_examples.py"


rule clones_twin:
    """Draw the Gaussian twin N(μ_S, Σ_S) of one non-Gaussian set S (train or a Fourier clone), fitted on all of S."""
    input:
        source=lambda wc: plan.images.twin_source_file(RESULTS, wc.dataset, wc.source),
    output:
        f"{RESULTS}/clones/{{dataset}}/twin_{{source}}.npy",
    log:
        f"{RESULTS}/logs/clones/{{dataset}}/twin_{{source}}.log",
    wildcard_constraints:
        source=plan.images.TWIN_SOURCE_PATTERN,
    conda:
        "../../envs/images.yaml"
    params:
        **plan.job_params(config, "clones_twin"),
    script:
        "../scripts/clones_twin.py"
