# Stage random_features (docs/science.md §13): denoising score matching with random features on
# a Gaussian target, solved exactly by ridge regression. One job per (curve, d), per d of the
# m = 1 convergence check, per (activation, t) of the phase diagram, one for the samples; the
# d -> inf table reads every curve. Figures: generated from plan.random_features.FIGURES.

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
        "../../envs/numerics.yaml"
    threads: 1
    params:
        spec=lambda wc: plan.random_features.curve_params(config, wc.curve),
    script:
        "../scripts/random_features_curve.py"


rule random_features_convergence:
    output:
        f"{RF}/convergence/d{{d}}.parquet",
    log:
        f"{RESULTS}/logs/random_features/convergence/d{{d}}.log",
    wildcard_constraints:
        d="[0-9]+",
    conda:
        "../../envs/numerics.yaml"
    threads: 1
    params:
        spec=plan.random_features.convergence_params(config),
    script:
        "../scripts/random_features_convergence.py"


rule random_features_limit:
    input:
        plan.random_features.curve_tables(config, RESULTS),
    output:
        f"{RF}/limit.parquet",
    log:
        f"{RESULTS}/logs/random_features/limit.log",
    conda:
        "../../envs/numerics.yaml"
    params:
        spec=plan.random_features.limit_params(config),
    script:
        "../scripts/random_features_limit.py"


rule random_features_phase:
    output:
        f"{RF}/phase/{{activation}}_t{{t}}.parquet",
    log:
        f"{RESULTS}/logs/random_features/phase/{{activation}}_t{{t}}.log",
    wildcard_constraints:
        activation="[a-z0-9]+",
        t="[0-9.e-]+",
    conda:
        "../../envs/numerics.yaml"
    threads: 1
    params:
        spec=lambda wc: plan.random_features.phase_params(config, wc.activation, wc.t),
    script:
        "../scripts/random_features_phase.py"


rule random_features_samples:
    output:
        f"{RF}/samples.parquet",
    log:
        f"{RESULTS}/logs/random_features/samples.log",
    conda:
        "../../envs/numerics.yaml"
    threads: 1
    params:
        spec=plan.random_features.sample_params(config),
    script:
        "../scripts/random_features_samples.py"
