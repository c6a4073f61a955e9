# Linear diffusion models (issue 13, part 2; docs/science.md §10; N = training samples and
# d = dimension in this stage). Closed forms are cheap: one job per (target, d) computes every
# N, seed, ridge λ, flow time τ and sampler from one eigendecomposition per (N, seed). A
# second job per (target, d) trains the same linear denoisers with Adam and SGD in lockstep
# and records the closed forms beside them. Natural patches are reduced to d pixels once.

LINEAR = f"{RESULTS}/linear"


rule linear_patches:
    input:
        train=f"{RESULTS}/data/natural_patches/train.npy",
        val=f"{RESULTS}/data/natural_patches/val.npy",
        test=f"{RESULTS}/data/natural_patches/test.npy",
    output:
        pool=f"{LINEAR}/patches/d{{d}}/pool.npy",
        heldout=f"{LINEAR}/patches/d{{d}}/heldout.npy",
    log:
        f"{RESULTS}/logs/linear/patches/d{{d}}.log",
    wildcard_constraints:
        d="[0-9]+",
    conda:
        "../../envs/mcm.yaml"
    params:
        downsample=config["linear"]["natural_patches"]["downsample"],
    script:
        "../scripts/linear_patches.py"


rule linear_closed_form:
    input:
        unpack(lambda wc: plan.linear.cell_inputs(wc.target, wc.d, RESULTS)),
    output:
        f"{LINEAR}/closed_form/{{target}}/d{{d}}.parquet",
    log:
        f"{RESULTS}/logs/linear/closed_form/{{target}}/d{{d}}.log",
    wildcard_constraints:
        target="isotropic|power_law|natural_patches",
        d="[0-9]+",
    conda:
        "../../envs/mcm.yaml"
    params:
        spec=lambda wc: plan.linear.cell_spec(config, wc.target),
    script:
        "../scripts/linear_closed_form.py"


rule linear_trained:
    input:
        unpack(lambda wc: plan.linear.cell_inputs(wc.target, wc.d, RESULTS)),
    output:
        f"{LINEAR}/trained/{{target}}/d{{d}}.parquet",
    log:
        f"{RESULTS}/logs/linear/trained/{{target}}/d{{d}}.log",
    wildcard_constraints:
        target="isotropic|power_law|natural_patches",
        d="[0-9]+",
    conda:
        "../../envs/mcm.yaml"
    params:
        spec=lambda wc: plan.linear.trained_spec(config, wc.target),
        device=config["device"],
    script:
        "../scripts/linear_trained.py"


rule linear_samples:
    input:
        unpack(lambda wc: plan.linear.cell_inputs("natural_patches", wc.d, RESULTS)),
    output:
        f"{LINEAR}/samples/natural_patches_d{{d}}.parquet",
    log:
        f"{RESULTS}/logs/linear/samples/natural_patches_d{{d}}.log",
    wildcard_constraints:
        d="[0-9]+",
    conda:
        "../../envs/mcm.yaml"
    params:
        spec=lambda wc: plan.linear.samples_spec(config),
    script:
        "../scripts/linear_samples.py"


rule figure_linear_kl:
    input:
        lambda wc: plan.linear.closed_form_tables(config, RESULTS),
    output:
        pdf=f"{RESULTS}/figures/linear_kl.pdf",
        png=report(
            f"{RESULTS}/figures/linear_kl.png",
            caption="../report/linear_kl.rst",
            category="Linear diffusion",
        ),
    log:
        f"{RESULTS}/logs/figures/linear_kl.log",
    conda:
        "../../envs/plot.yaml"
    params:
        sampler=config["linear"]["figures"]["sampler"],
    script:
        "../scripts/figure_linear_kl.py"


rule figure_linear_test_error:
    input:
        lambda wc: plan.linear.closed_form_tables(config, RESULTS),
    output:
        pdf=f"{RESULTS}/figures/linear_test_error.pdf",
        png=report(
            f"{RESULTS}/figures/linear_test_error.png",
            caption="../report/linear_test_error.rst",
            category="Linear diffusion",
        ),
    log:
        f"{RESULTS}/logs/figures/linear_test_error.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/figure_linear_test_error.py"


rule figure_linear_regularisation:
    input:
        lambda wc: plan.linear.regularisation_table(config, RESULTS),
    output:
        pdf=f"{RESULTS}/figures/linear_regularisation.pdf",
        png=report(
            f"{RESULTS}/figures/linear_regularisation.png",
            caption="../report/linear_regularisation.rst",
            category="Linear diffusion",
        ),
    log:
        f"{RESULTS}/logs/figures/linear_regularisation.log",
    conda:
        "../../envs/plot.yaml"
    params:
        sampler=config["linear"]["figures"]["sampler"],
    script:
        "../scripts/figure_linear_regularisation.py"


rule figure_linear_samples:
    input:
        lambda wc: plan.linear.samples_table(config, RESULTS),
    output:
        pdf=f"{RESULTS}/figures/linear_samples.pdf",
        png=report(
            f"{RESULTS}/figures/linear_samples.png",
            caption="../report/linear_samples.rst",
            category="Linear diffusion",
        ),
    log:
        f"{RESULTS}/logs/figures/linear_samples.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/figure_linear_samples.py"


rule figure_linear_trained:
    input:
        lambda wc: plan.linear.trained_tables(config, RESULTS),
    output:
        pdf=f"{RESULTS}/figures/linear_trained.pdf",
        png=report(
            f"{RESULTS}/figures/linear_trained.png",
            caption="../report/linear_trained.rst",
            category="Linear diffusion",
        ),
    log:
        f"{RESULTS}/logs/figures/linear_trained.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/figure_linear_trained.py"
