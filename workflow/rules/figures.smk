# Every figure rule, generated from the stages' figure registries (easy2hard.pipeline.plan,
# each stage's STAGE.figures): one rule per registered Figure, running the generic
# workflow/scripts/figure.py on its drawing function. No figure rule is written by hand.
import functools

for _stage in plan.STAGES:
    for _fig in _stage.figures:

        rule:
            name:
                _fig.rule
            input:
                unpack(functools.partial(plan.figure_inputs, _fig, config, RESULTS)),
            output:
                pdf=plan.job_outputs(RESULTS, _fig.rule)["pdf"],
                png=report(
                    plan.job_outputs(RESULTS, _fig.rule)["png"],
                    caption=f"../report/{_fig.caption_file}.rst",
                    category=_fig.category,
                ),
            log:
                f"{RESULTS}/logs/figures/{_fig.name}.log",
            wildcard_constraints:
                **_fig.wildcards,
            conda:
                "../../envs/plot.yaml"
            params:
                draw=_fig.draw,
                options=functools.partial(plan.figure_params, _fig, config),
                code=provenance.code_hash(
                    workflow.basedir,
                    f"{workflow.basedir}/workflow/scripts/figure.py",
                    (_fig.module,),
                ),
            script:
                "../scripts/figure.py"

        workflow.get_rule(_fig.rule).docstring = provenance.function_docstring(
            workflow.basedir, _fig.draw
        )
