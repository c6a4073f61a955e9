# U-Net DDPM training and clone-loss evaluation (docs/science.md §7).
# One training job per run trains all its seeds together (in lockstep) to every log-spaced
# checkpoint (their steps are a function of the config, known before the job starts; full
# resume states are kept under seed{seed}/resume/, so a killed job restarts from its newest
# ones) and lists them in the run's SHA256SUMS; one light job per seed publishes its
# checkpoint folder from it. One reference-denoiser job per (run, seed) (Wiener and
# empirical optimum on every evaluation set), one evaluation job per checkpoint that reads it; the tables are merged per
# run into losses, seed-mean gaps and the memorisation of the samples. The file plan (which
# runs, seeds, steps), the rules' params (its job table) and the figures live in
# easy2hard.pipeline.plan.images.
unet_plan = plan.images


wildcard_constraints:
    run="[A-Za-z0-9_]+",
    seed="[0-9]+",
    step="[0-9]+",


UNET = f"{RESULTS}/unet/{{dataset}}/{{run}}"

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
        train=f"{RESULTS}/data/{{dataset}}/train.npy",
    output:
        unet_plan.run_manifest(RESULTS, "{dataset}", "{run}"),
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/train.log",
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
        unet_plan.run_manifest(RESULTS, "{dataset}", "{run}"),
    output:
        directory(f"{UNET}/seed{{seed}}/ckpt"),
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/seed{{seed}}/checkpoints.log",
    conda:
        "../../envs/numerics.yaml"
    script:
        "../scripts/unet_checkpoints.py"


rule unet_evaluate:
    """Denoising losses of one checkpoint on test, train and every clone, with common random numbers."""
    input:
        unpack(
            lambda wc: unet_plan.eval_inputs(
                config, RESULTS, wc.dataset, wc.run, wc.seed, wc.step
            )
        ),
    output:
        f"{UNET}/seed{{seed}}/eval/step{{step}}.parquet",
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/seed{{seed}}/eval_step{{step}}.log",
    wildcard_constraints:
        run=plan.external.run_pattern(config, external=False),
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
        unpack(
            lambda wc: unet_plan.eval_inputs(
                config, RESULTS, wc.dataset, wc.run, wc.seed, wc.step
            )
        ),
    output:
        f"{UNET}/seed{{seed}}/eval/step{{step}}.parquet",
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/seed{{seed}}/eval_step{{step}}.log",
    wildcard_constraints:
        run=plan.external.run_pattern(config, external=True),
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
        unpack(lambda wc: unet_plan.set_files(config, RESULTS, wc.dataset, wc.run)),
    output:
        f"{UNET}/seed{{seed}}/reference.parquet",
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/seed{{seed}}/reference.log",
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
        lambda wc: unet_plan.eval_tables(config, RESULTS, wc.dataset, wc.run),
    output:
        f"{UNET}/losses.parquet",
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/losses.log",
    conda:
        "../../envs/images.yaml"
    script:
        "../scripts/unet_merge.py"


rule unet_sample:
    """DDPM samples of one checkpoint (PNG grid and array)."""
    input:
        ckpt=f"{UNET}/seed{{seed}}/ckpt",
    output:
        png=f"{UNET}/seed{{seed}}/samples/step{{step}}.png",
        table=f"{UNET}/seed{{seed}}/samples/step{{step}}.parquet",
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/seed{{seed}}/samples_step{{step}}.log",
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
        lambda wc: unet_plan.sample_tables(config, RESULTS, wc.dataset, wc.run),
    output:
        f"{UNET}/samples.parquet",
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/samples.log",
    conda:
        "../../envs/images.yaml"
    script:
        "../scripts/unet_merge.py"


rule unet_gaps:
    """Per clone and k: U-Net gap, Wiener gap and their difference with its standard error (seed means)."""
    input:
        f"{UNET}/losses.parquet",
    output:
        f"{UNET}/gaps.parquet",
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/gaps.log",
    conda:
        "../../envs/numerics.yaml"
    script:
        "../scripts/unet_gaps.py"


rule unet_memorisation:
    """Nearest/second-nearest training-image distance ratio of the samples at every checkpoint."""
    input:
        unpack(
            lambda wc: unet_plan.memorisation_inputs(
                config, RESULTS, wc.dataset, wc.run
            )
        ),
    output:
        f"{UNET}/memorisation.parquet",
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/memorisation.log",
    conda:
        "../../envs/images.yaml"
    params:
        **plan.job_params(config, "unet_memorisation"),
    script:
        "../scripts/unet_memorisation.py"


rule unet_model:
    """The run's data and model in one row (kind, parameter count, steps), named by the claims."""
    output:
        f"{UNET}/model.parquet",
    log:
        f"{RESULTS}/logs/unet/{{dataset}}/{{run}}/model.log",
    conda:
        "../../envs/images.yaml"
    params:
        **plan.job_params(config, "unet_model"),
    script:
        "../scripts/unet_model.py"
