# datasets. One job per dataset builds its train/val/test splits (float32 .npy,
# shape (n, 1, H, W), values in the configured range) and a Parquet manifest. Downloads
# (cifar10, celeba) go under config `datasets.root` and are reused when already present.


# Datasets of the user's images (kind: folder): their folders are read now, before any job,
# and their names join the dataset wildcard.
if plan.folders.folder_problems(config):
    raise WorkflowError(
        "invalid configuration:\n  - "
        + "\n  - ".join(plan.folders.folder_problems(config))
    )


wildcard_constraints:
    dataset=plan.folders.admit(config),


rule data_splits:
    """Build one dataset's train/val/test splits (float32 .npy) and its manifest."""
    output:
        **plan.job_outputs(RESULTS, "data_splits"),
    log:
        f"{RESULTS}/logs/data/{{dataset}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "data_splits"),
    conda:
        "../../envs/images.yaml"
    params:
        **plan.job_params(config, "data_splits"),
    script:
        "../scripts/data_splits.py"
