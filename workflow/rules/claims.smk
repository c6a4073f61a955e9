# The claims: every stage's conclusions decided from its tables on every run. One generated
# rule per stage that declares claims (easy2hard.pipeline.plan, each stage's STAGE.claims),
# running workflow/scripts/claims_stage.py on the claims' evaluate functions; then one rule
# that merges them into claims.parquet and the report's Claims page (claims.html).

for _stage in plan.STAGES:
    if not _stage.claims:
        continue

    rule:
        name:
            f"claims_{_stage.name}"
        input:
            unpack(
                lambda wc, _stage=_stage: plan.claims.stage_inputs(
                    _stage, config, RESULTS
                )
            ),
        output:
            plan.claims.stage_table(RESULTS, _stage.name),
        log:
            f"{RESULTS}/logs/claims/{_stage.name}.log",
        conda:
            "../../envs/plot.yaml"
        params:
            spec=plan.claims.stage_params(_stage, config),
            code=provenance.code_hash(
                workflow.basedir,
                f"{workflow.basedir}/workflow/scripts/claims_stage.py",
                tuple(dict.fromkeys(c.module for c in _stage.claims)),
            ),
        script:
            "../scripts/claims_stage.py"

    workflow.get_rule(f"claims_{_stage.name}").docstring = (
        f"The {_stage.name} stage's claims ({len(_stage.claims)}) decided from its tables."
    )


rule claims_merge:
    """Every stage's claims in one table (claims.parquet) and the report's Claims page."""
    input:
        lambda wc: [
            plan.claims.stage_table(RESULTS, s.name)
            for s in plan.claims.claiming_stages(config)
        ],
    output:
        table=f"{RESULTS}/{plan.claims.MERGED}",
        page=report(
            f"{RESULTS}/{plan.claims.PAGE}",
            caption="../report/claims.rst",
            category="Claims",
        ),
    log:
        f"{RESULTS}/logs/claims/merge.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/claims_merge.py"


workflow.localrules(
    "claims_merge", *(f"claims_{s.name}" for s in plan.STAGES if s.claims)
)
