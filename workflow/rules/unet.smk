# U-Net DDPM training and clone-loss evaluation (docs/science.md §7).
# One training job per run trains all its seeds together (in lockstep) to every log-spaced
# checkpoint (their steps are a function of the config, known before the job starts; full
# resume states are kept under seed{seed}/resume/, so a killed job restarts from its newest
# ones) and lists them in the run's SHA256SUMS; one light job per seed publishes its
# checkpoint folder from it. One reference-denoiser job per (run, seed) (Wiener and
# empirical optimum on every evaluation set); at most evaluation.jobs evaluation jobs per run,
# each evaluating every seed at a fixed share of the checkpoints (per-checkpoint tables cached
# in eval_cache/, outside the declared outputs); the tables are merged per run into losses,
# seed-mean gaps and the memorisation of the samples. The file plan (which
# runs, seeds, steps), the rules' params (its job table) and the figures live in
# easy2hard.pipeline.plan.images.


# Runs of checkpoints trained elsewhere (unet.runs.<run>.external): their folders are read
# now (JSON configs and listings), before any job; they have no training job.
if plan.external.folder_problems(config):
    raise WorkflowError(
        "invalid configuration:\n  - "
        + "\n  - ".join(plan.external.folder_problems(config))
    )


rule unet_train:
    """Train every seed of one U-Net run in one job (seeds in lockstep, resumable) and list their checkpoint states in the run's SHA256SUMS."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "unet_train")),
    output:
        **plan.job_outputs(RESULTS, "unet_train"),
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/train.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "unet_train"),
    conda:
        "../../envs/images.yaml"
    threads: 1
    params:
        **plan.job_params(config, "unet_train"),
    script:
        "../scripts/unet_train.py"


rule unet_checkpoints:
    """Publish one seed's checkpoints (hard links to its resume states, checked against the run's SHA256SUMS) with their own SHA256SUMS."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "unet_checkpoints")),
    output:
        directory(plan.job_outputs(RESULTS, "unet_checkpoints")["ckpt"]),
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/seed{{seed}}/checkpoints.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "unet_checkpoints"),
    conda:
        "../../envs/numerics.yaml"
    script:
        "../scripts/unet_checkpoints.py"


rule unet_evaluate:
    """Denoising losses of every seed at one share of the checkpoints, on test, train and every clone, with common random numbers."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "unet_evaluate")),
    output:
        **plan.job_outputs(RESULTS, "unet_evaluate"),
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/eval_share{{share}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "unet_evaluate"),
    conda:
        "../../envs/images.yaml"
    threads: 1
    params:
        **plan.job_params(config, "unet_evaluate"),
    script:
        "../scripts/unet_evaluate.py"


rule unet_evaluate_external:
    """Denoising losses of one checkpoint trained elsewhere (unet.runs.<run>.external), as unet_evaluate."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "unet_evaluate_external")),
    output:
        **plan.job_outputs(RESULTS, "unet_evaluate_external"),
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/seed{{seed}}/eval_step{{step}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "unet_evaluate_external"),
    conda:
        "../../envs/images.yaml"
    threads: 1
    params:
        **plan.job_params(config, "unet_evaluate_external"),
    script:
        "../scripts/unet_evaluate_external.py"


rule unet_reference:
    """Wiener and empirical-optimal reference denoisers on every evaluated set, same noise as the U-Net."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "unet_reference")),
    output:
        **plan.job_outputs(RESULTS, "unet_reference"),
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/seed{{seed}}/reference.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "unet_reference"),
    conda:
        "../../envs/images.yaml"
    threads: 1
    params:
        **plan.job_params(config, "unet_reference"),
    script:
        "../scripts/unet_reference.py"


rule unet_losses:
    """All evaluation tables of one run, joined with the reference losses."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "unet_losses")),
    output:
        **plan.job_outputs(RESULTS, "unet_losses"),
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/losses.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "unet_losses"),
    conda:
        "../../envs/images.yaml"
    script:
        "../scripts/unet_merge.py"


rule unet_sample:
    """DDPM samples of one checkpoint (PNG grid and array)."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "unet_sample")),
    output:
        **plan.job_outputs(RESULTS, "unet_sample"),
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/seed{{seed}}/samples_step{{step}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "unet_sample"),
    conda:
        "../../envs/images.yaml"
    threads: 1
    params:
        **plan.job_params(config, "unet_sample"),
    script:
        "../scripts/unet_sample.py"


rule unet_samples:
    """All sample tables of one run."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "unet_samples")),
    output:
        **plan.job_outputs(RESULTS, "unet_samples"),
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/samples.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "unet_samples"),
    conda:
        "../../envs/images.yaml"
    script:
        "../scripts/unet_merge.py"


rule unet_gaps:
    """Per clone and k: U-Net gap, Wiener gap and their difference with its standard error (seed means)."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "unet_gaps")),
    output:
        **plan.job_outputs(RESULTS, "unet_gaps"),
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/gaps.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "unet_gaps"),
    conda:
        "../../envs/numerics.yaml"
    script:
        "../scripts/unet_gaps.py"


rule unet_memorisation:
    """Nearest/second-nearest training-image distance ratio of the samples at every checkpoint."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "unet_memorisation")),
    output:
        **plan.job_outputs(RESULTS, "unet_memorisation"),
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/memorisation.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "unet_memorisation"),
    conda:
        "../../envs/images.yaml"
    params:
        **plan.job_params(config, "unet_memorisation"),
    script:
        "../scripts/unet_memorisation.py"


rule unet_model:
    """The run's data and model in one row (kind, parameter count, steps), named by the claims."""
    output:
        **plan.job_outputs(RESULTS, "unet_model"),
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/model.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "unet_model"),
    conda:
        "../../envs/images.yaml"
    params:
        **plan.job_params(config, "unet_model"),
    script:
        "../scripts/unet_model.py"
