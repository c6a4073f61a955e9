# Linear diffusion models (docs/science.md §10; N = training samples and d = dimension in
# this stage). Closed forms are cheap: one job per (target, d) computes every N, seed, ridge
# λ, flow time τ and sampler from one eigendecomposition per (N, seed). A second job per
# (target, d) trains the same linear denoisers with Adam and SGD in lockstep and records the
# closed forms beside them. One job per d sweeps the spectral exponent at fixed trace (ridge
# and early-stopping paths); one per d trains MLP denoisers on patches beside the linear
# ones. Natural patches are reduced to d pixels once. Figures: STAGE.figures (figures.smk).


rule linear_patches:
    """Natural patches reduced to d pixels: the training pool and the held-out set."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "linear_patches")),
    output:
        **plan.job_outputs(RESULTS, "linear_patches"),
    log:
        f"{RESULTS}/logs/linear/patches/d{{d}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "linear_patches"),
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "linear_patches"),
    script:
        "../scripts/linear_patches.py"


rule linear_closed_form:
    """Closed-form linear denoisers of one (target, d): every N, seed, ridge, stopping time and sampler."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "linear_closed_form")),
    output:
        **plan.job_outputs(RESULTS, "linear_closed_form"),
    log:
        f"{RESULTS}/logs/linear/closed_form/{{target}}/d{{d}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "linear_closed_form"),
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "linear_closed_form"),
    script:
        "../scripts/linear_closed_form.py"


rule linear_trained:
    """Adam and SGD training of the linear denoisers of one (target, d), beside their closed forms."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "linear_trained")),
    output:
        **plan.job_outputs(RESULTS, "linear_trained"),
    log:
        f"{RESULTS}/logs/linear/trained/{{target}}/d{{d}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "linear_trained"),
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "linear_trained"),
    script:
        "../scripts/linear_trained.py"


rule linear_samples:
    """DDPM samples of linear models trained with N < d, N = d and N > d natural patches."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "linear_samples")),
    output:
        **plan.job_outputs(RESULTS, "linear_samples"),
    log:
        f"{RESULTS}/logs/linear/samples/natural_patches_d{{d}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "linear_samples"),
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "linear_samples"),
    script:
        "../scripts/linear_samples.py"


rule linear_hierarchy:
    """Spectra of growing hierarchy at fixed trace: KL and test error over N/d at the best ridge and stopping time."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "linear_hierarchy")),
    output:
        **plan.job_outputs(RESULTS, "linear_hierarchy"),
    log:
        f"{RESULTS}/logs/linear/hierarchy/d{{d}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "linear_hierarchy"),
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "linear_hierarchy"),
    script:
        "../scripts/linear_hierarchy.py"


rule linear_nonlinear:
    """An MLP denoiser beside the linear one over the same N/d sweep: test error, divergence, memorisation."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "linear_nonlinear")),
    output:
        **plan.job_outputs(RESULTS, "linear_nonlinear"),
    log:
        f"{RESULTS}/logs/linear/nonlinear/natural_patches_d{{d}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "linear_nonlinear"),
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "linear_nonlinear"),
    script:
        "../scripts/linear_nonlinear.py"
