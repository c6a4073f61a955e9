# Stage 6: theory (docs/science.md §5-6). Hermite coefficients c_k and ℓ_k, the diffusion
# information exponent k* (also for every MCM sweep setting, so the MCM figures read their
# theory slopes from exponents.parquet), the population loss L(m) on the sphere and the
# radial term L_0(r). All are 1-D Gaussian integrals: seconds on a CPU.

THEORY = f"{RESULTS}/theory"


rule theory_hermite:
    output:
        hermite=f"{THEORY}/hermite.parquet",
        exponents=f"{THEORY}/exponents.parquet",
        landscape=f"{THEORY}/landscape.parquet",
    log:
        f"{RESULTS}/logs/theory/hermite.log",
    conda:
        "../../envs/mcm.yaml"
    params:
        theory=plan.theory.hermite_params(config),
    script:
        "../scripts/theory_hermite.py"


rule theory_sweep_exponents:
    output:
        f"{THEORY}/sweeps/{{sweep}}.parquet",
    log:
        f"{RESULTS}/logs/theory/sweeps/{{sweep}}.log",
    conda:
        "../../envs/mcm.yaml"
    params:
        spec=lambda wc: plan.mcm.sweep_spec(config, wc.sweep),
        kmax=config["theory"]["kmax"],
        order=config["theory"]["order"],
    script:
        "../scripts/theory_sweep_exponents.py"


rule theory_radial:
    output:
        f"{THEORY}/radial.parquet",
    log:
        f"{RESULTS}/logs/theory/radial.log",
    conda:
        "../../envs/mcm.yaml"
    params:
        theory=plan.theory.radial_params(config),
    script:
        "../scripts/theory_radial.py"


rule figure_hermite_coefficients:
    input:
        hermite=f"{THEORY}/hermite.parquet",
        exponents=f"{THEORY}/exponents.parquet",
    output:
        pdf=f"{RESULTS}/figures/hermite_coefficients.pdf",
        png=report(
            f"{RESULTS}/figures/hermite_coefficients.png",
            caption="../report/hermite_coefficients.rst",
            category="Theory",
        ),
    log:
        f"{RESULTS}/logs/figures/hermite_coefficients.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/figure_hermite_coefficients.py"


rule figure_loss_landscape:
    input:
        landscape=f"{THEORY}/landscape.parquet",
        exponents=f"{THEORY}/exponents.parquet",
    output:
        pdf=f"{RESULTS}/figures/loss_landscape.pdf",
        png=report(
            f"{RESULTS}/figures/loss_landscape.png",
            caption="../report/loss_landscape.rst",
            category="Theory",
        ),
    log:
        f"{RESULTS}/logs/figures/loss_landscape.log",
    conda:
        "../../envs/plot.yaml"
    script:
        "../scripts/figure_loss_landscape.py"
