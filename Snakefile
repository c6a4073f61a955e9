# easy2hard: what diffusion models learn, and when.
# Thin entry point: config, schema validation (common.smk), one .smk per stage, and rule all,
# whose targets come from one plan function (easy2hard.pipeline.plan.final_output).
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/clones.smk"
include: "workflow/rules/unet.smk"
include: "workflow/rules/mcm.smk"
include: "workflow/rules/networks.smk"
include: "workflow/rules/theory.smk"
include: "workflow/rules/linear.smk"
include: "workflow/rules/fourier.smk"
include: "workflow/rules/multipatch.smk"
include: "workflow/rules/random_features.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/claims.smk"
include: "workflow/rules/report.smk"


provenance.attach_code_hashes(workflow)


rule all:
    """Every table and figure of the enabled stages (easy2hard.pipeline.plan.final_output)."""
    default_target: True
    input:
        plan.final_output(config, RESULTS),


# Last, once every rule (and its code hash) is defined: the checks that read the rules' output
# patterns and params (workflow/rules/common.smk), before Snakemake builds the DAG.
reliability_checks(workflow, plan.final_output(config, RESULTS))
