# Fourier stage (docs/science.md §12): do diffusion models learn amplitudes before phases?
# Image part: four Fourier clones of each dataset's test split (beside the Gaussian clones
# of clones.smk, evaluated by the U-Net jobs of unet.smk when a run lists them), their
# examples, the covariance mismatch of every clone to the test split, and the gaps of each
# set's loss to the test loss (figures: plan.images.FIGURES). Synthetic part: one lockstep
# cell per N of a wide tied autoencoder on |k|^-α signals with sparse phases (the denoiser),
# and one cell per N of the phase classifier (one spherical neuron, online SGD, numba kernel).
# The synthetic figures come from the registry (plan.fourier.SYNTHETIC_FIGURES).


rule fourier_clone:
    """Draw one Fourier clone (amplitude, phase, amplitude_swap, amplitude_whitened) of a dataset's test split."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "fourier_clone")),
    output:
        **plan.job_outputs(RESULTS, "fourier_clone"),
    log:
        f"{RESULTS}/logs/clones/{{dataset}}/{{fclone}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "fourier_clone"),
    conda:
        "../../envs/images.yaml"
    params:
        **plan.job_params(config, "fourier_clone"),
    script:
        "../scripts/fourier_clone.py"


rule fourier_examples:
    """A few test images beside their Fourier clones, for the examples figure."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "fourier_examples")),
    output:
        **plan.job_outputs(RESULTS, "fourier_examples"),
    log:
        f"{RESULTS}/logs/fourier/{{dataset}}/examples.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "fourier_examples"),
    conda:
        "../../envs/images.yaml"
    params:
        **plan.job_params(config, "fourier_examples"),
    script:
        "../scripts/fourier_examples.py"


rule fourier_covariance:
    """Covariance mismatch of every clone to the test split (relative Frobenius norm)."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "fourier_covariance")),
    output:
        **plan.job_outputs(RESULTS, "fourier_covariance"),
    log:
        f"{RESULTS}/logs/fourier/{{dataset}}/covariance.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "fourier_covariance"),
    conda:
        "../../envs/images.yaml"
    params:
        **plan.job_params(config, "fourier_covariance"),
    script:
        "../scripts/fourier_covariance.py"


rule fourier_tracking:
    """Gaps of each evaluated set's U-Net loss to the test loss, with departure steps."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "fourier_tracking")),
    output:
        **plan.job_outputs(RESULTS, "fourier_tracking"),
    log:
        f"{RESULTS}/logs/fourier/{{dataset}}/tracking.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "fourier_tracking"),
    conda:
        "../../envs/plot.yaml"
    params:
        **plan.job_params(config, "fourier_tracking"),
    script:
        "../scripts/fourier_tracking.py"


rule fourier_synthetic_cell:
    """One N of the synthetic denoiser: every (alpha, seed) run in lockstep, with its linear and Bayes references."""
    output:
        **plan.job_outputs(RESULTS, "fourier_synthetic_cell"),
    log:
        f"{RESULTS}/logs/fourier/synthetic/N{{N}}.log",
    conda:
        "../../envs/numerics.yaml"
    threads: 1
    params:
        **plan.job_params(config, "fourier_synthetic_cell"),
    script:
        "../scripts/fourier_synthetic_cell.py"


rule fourier_synthetic_examples:
    """Example signals of the synthetic model and of its random-phase clone."""
    output:
        **plan.job_outputs(RESULTS, "fourier_synthetic_examples"),
    log:
        f"{RESULTS}/logs/fourier/synthetic/examples.log",
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "fourier_synthetic_examples"),
    script:
        "../scripts/fourier_synthetic_examples.py"


rule fourier_thresholds:
    """The denoiser's n* per (N, alpha): samples until it beats the best linear loss by the margin."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "fourier_thresholds")),
    output:
        **plan.job_outputs(RESULTS, "fourier_thresholds"),
    log:
        f"{RESULTS}/logs/fourier/synthetic/thresholds.log",
    conda:
        "../../envs/plot.yaml"
    params:
        **plan.job_params(config, "fourier_thresholds"),
    script:
        "../scripts/fourier_thresholds.py"


rule fourier_classifier_cell:
    """One N of the phase classifier (one neuron, online SGD, numba kernel): every (alpha, seed) run."""
    output:
        **plan.job_outputs(RESULTS, "fourier_classifier_cell"),
    log:
        f"{RESULTS}/logs/fourier/classifier/N{{N}}.log",
    conda:
        "../../envs/numerics.yaml"
    threads: 1
    params:
        **plan.job_params(config, "fourier_classifier_cell"),
    script:
        "../scripts/fourier_classifier_cell.py"


rule fourier_classifier_thresholds:
    """The classifier's n* per (N, alpha) with bootstrap intervals, and the fitted exponent in N."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "fourier_classifier_thresholds")),
    output:
        **plan.job_outputs(RESULTS, "fourier_classifier_thresholds"),
    log:
        f"{RESULTS}/logs/fourier/classifier/thresholds.log",
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "fourier_classifier_thresholds"),
    script:
        "../scripts/fourier_classifier_thresholds.py"
