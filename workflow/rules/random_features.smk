# Stage random_features (issue 15; docs/science.md §13): denoising score matching with random
# features on a Gaussian target, solved exactly by ridge regression. One job per (curve, d),
# one for the phase diagram, one for the samples; the 1/d extrapolation reads every curve.

RF = f"{RESULTS}/random_features"


rule random_features_curve:
    output:
        f"{RF}/curves/{{curve}}_d{{d}}.parquet",
    log:
        f"{RESULTS}/logs/random_features/curves/{{curve}}_d{{d}}.log",
    wildcard_constraints:
        curve="psi_p|psi_n",
        d="[0-9]+",
    conda:
        "../../envs/mcm.yaml"
    threads: 1
    params:
        spec=lambda wc: plan.random_features.curve_params(config, wc.curve),
    script:
        "../scripts/random_features_curve.py"


rule random_features_extrapolate:
    input:
        plan.random_features.curve_tables(config, RESULTS),
    output:
        f"{RF}/extrapolated.parquet",
    log:
        f"{RESULTS}/logs/random_features/extrapolated.log",
    conda:
        "../../envs/mcm.yaml"
    script:
        "../scripts/random_features_extrapolate.py"


rule random_features_phase:
    output:
        f"{RF}/phase.parquet",
    log:
        f"{RESULTS}/logs/random_features/phase.log",
    conda:
        "../../envs/mcm.yaml"
    threads: 1
    params:
        spec=plan.random_features.phase_params(config),
    script:
        "../scripts/random_features_phase.py"


rule random_features_samples:
    output:
        f"{RF}/samples.parquet",
    log:
        f"{RESULTS}/logs/random_features/samples.log",
    conda:
        "../../envs/mcm.yaml"
    threads: 1
    params:
        spec=plan.random_features.sample_params(config),
    script:
        "../scripts/random_features_samples.py"


rule figure_random_features_learning_curves:
    input:
        curves=plan.random_features.curve_tables(config, RESULTS),
        extrapolated=f"{RF}/extrapolated.parquet",
    output:
        pdf=f"{RESULTS}/figures/random_features_learning_curves.pdf",
        png=report(
            f"{RESULTS}/figures/random_features_learning_curves.png",
            caption="../report/random_features_learning_curves.rst",
            category="Random features",
        ),
    log:
        f"{RESULTS}/logs/figures/random_features_learning_curves.log",
    conda:
        "../../envs/plot.yaml"
    params:
        figure_lambda=config["random_features"]["figure_lambda"],
    script:
        "../scripts/figure_random_features_learning_curves.py"


rule figure_random_features_convergence:
    input:
        curves=plan.random_features.curve_tables(config, RESULTS),
        extrapolated=f"{RF}/extrapolated.parquet",
    output:
        pdf=f"{RESULTS}/figures/random_features_convergence.pdf",
        png=report(
            f"{RESULTS}/figures/random_features_convergence.png",
            caption="../report/random_features_convergence.rst",
            category="Random features",
        ),
    log:
        f"{RESULTS}/logs/figures/random_features_convergence.log",
    conda:
        "../../envs/plot.yaml"
    params:
        figure_lambda=config["random_features"]["figure_lambda"],
    script:
        "../scripts/figure_random_features_convergence.py"


rule figure_random_features_phase:
    input:
        f"{RF}/phase.parquet",
    output:
        pdf=f"{RESULTS}/figures/random_features_phase.pdf",
        png=report(
            f"{RESULTS}/figures/random_features_phase.png",
            caption="../report/random_features_phase.rst",
            category="Random features",
        ),
    log:
        f"{RESULTS}/logs/figures/random_features_phase.log",
    conda:
        "../../envs/plot.yaml"
    params:
        figure_lambda=config["random_features"]["figure_lambda"],
    script:
        "../scripts/figure_random_features_phase.py"


rule figure_random_features_samples:
    input:
        f"{RF}/samples.parquet",
    output:
        pdf=f"{RESULTS}/figures/random_features_samples.pdf",
        png=report(
            f"{RESULTS}/figures/random_features_samples.png",
            caption="../report/random_features_samples.rst",
            category="Random features",
        ),
    log:
        f"{RESULTS}/logs/figures/random_features_samples.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/figure_random_features_samples.py"
