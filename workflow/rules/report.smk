# The self-contained HTML report, built after the workflow with
#   snakemake --report results/report.html
# It holds every figure whose rule wraps its PNG in report(...) with a caption
# (workflow/report/<name>.rst), the workflow description below, and the main tables:
# each Parquet table listed in config `report.tables` rendered as an HTML page.


report: "../report/workflow.rst"


rule report_table:
    """One table of config report.tables rendered as an HTML page of the report."""
    input:
        unpack(plan.job_inputs(config, RESULTS, "report_table")),
    output:
        report(
            plan.job_outputs(RESULTS, "report_table")["page"],
            caption="../report/report_table.rst",
            category="Tables",
            labels={"table": "{table}"},
        ),
    log:
        f"{RESULTS}/logs/report/{{table}}.log",
    wildcard_constraints:
        **plan.job_wildcards(config, "report_table"),
    conda:
        "../../envs/plot.yaml"
    params:
        **plan.job_params(config, "report_table"),
    script:
        "../scripts/report_table.py"


# Figures and report tables are cheap and read only local tables: on a cluster
# (profiles/slurm) they run on the submit host instead of waiting in the queue.
workflow.localrules(
    "report_table", *(r.name for r in workflow.rules if r.name.startswith("figure_"))
)
