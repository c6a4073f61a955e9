# Linear diffusion models (docs/science.md §10; N = training samples and d = dimension in
# this stage). Closed forms are cheap: one job per (target, d) computes every N, seed, ridge
# λ, flow time τ and sampler from one eigendecomposition per (N, seed). A second job per
# (target, d) trains the same linear denoisers with Adam and SGD in lockstep and records the
# closed forms beside them. One job per d sweeps the spectral exponent at fixed trace (ridge
# and early-stopping paths); one per d trains MLP denoisers on patches beside the linear
# ones. Natural patches are reduced to d pixels once. Figures: STAGE.figures (figures.smk).

LINEAR = f"{RESULTS}/linear"


rule linear_patches:
    """Natural patches reduced to d pixels: the training pool and the held-out set."""
    input:
        **plan.images.splits(RESULTS, "natural_patches"),
    output:
        pool=f"{LINEAR}/patches/d{{d}}/pool.npy",
        heldout=f"{LINEAR}/patches/d{{d}}/heldout.npy",
    log:
        f"{RESULTS}/logs/linear/patches/d{{d}}.log",
    wildcard_constraints:
        d="[0-9]+",
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "linear_patches"),
    script:
        "../scripts/linear_patches.py"


rule linear_closed_form:
    """Closed-form linear denoisers of one (target, d): every N, seed, ridge, stopping time and sampler."""
    input:
        unpack(lambda wc: plan.linear.cell_inputs(wc.target, wc.d, RESULTS)),
    output:
        f"{LINEAR}/closed_form/{{target}}/d{{d}}.parquet",
    log:
        f"{RESULTS}/logs/linear/closed_form/{{target}}/d{{d}}.log",
    wildcard_constraints:
        target=plan.linear.TARGET_PATTERN,
        d="[0-9]+",
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "linear_closed_form"),
    script:
        "../scripts/linear_closed_form.py"


rule linear_trained:
    """Adam and SGD training of the linear denoisers of one (target, d), beside their closed forms."""
    input:
        unpack(lambda wc: plan.linear.cell_inputs(wc.target, wc.d, RESULTS)),
    output:
        f"{LINEAR}/trained/{{target}}/d{{d}}.parquet",
    log:
        f"{RESULTS}/logs/linear/trained/{{target}}/d{{d}}.log",
    wildcard_constraints:
        target=plan.linear.TARGET_PATTERN,
        d="[0-9]+",
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "linear_trained"),
    script:
        "../scripts/linear_trained.py"


rule linear_samples:
    """DDPM samples of linear models trained with N < d, N = d and N > d natural patches."""
    input:
        unpack(lambda wc: plan.linear.cell_inputs("natural_patches", wc.d, RESULTS)),
    output:
        f"{LINEAR}/samples/natural_patches_d{{d}}.parquet",
    log:
        f"{RESULTS}/logs/linear/samples/natural_patches_d{{d}}.log",
    wildcard_constraints:
        d="[0-9]+",
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "linear_samples"),
    script:
        "../scripts/linear_samples.py"


rule linear_hierarchy:
    """Spectra of growing hierarchy at fixed trace: KL and test error over N/d at the best ridge and stopping time."""
    input:
        unpack(lambda wc: plan.linear.hierarchy_inputs(wc.d, config, RESULTS)),
    output:
        f"{LINEAR}/hierarchy/d{{d}}.parquet",
    log:
        f"{RESULTS}/logs/linear/hierarchy/d{{d}}.log",
    wildcard_constraints:
        d="[0-9]+",
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "linear_hierarchy"),
    script:
        "../scripts/linear_hierarchy.py"


rule linear_nonlinear:
    """An MLP denoiser beside the linear one over the same N/d sweep: test error, divergence, memorisation."""
    input:
        unpack(lambda wc: plan.linear.cell_inputs("natural_patches", wc.d, RESULTS)),
    output:
        f"{LINEAR}/nonlinear/natural_patches_d{{d}}.parquet",
    log:
        f"{RESULTS}/logs/linear/nonlinear/natural_patches_d{{d}}.log",
    wildcard_constraints:
        d="[0-9]+",
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "linear_nonlinear"),
    script:
        "../scripts/linear_nonlinear.py"
