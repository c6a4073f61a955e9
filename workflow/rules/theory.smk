# Theory (docs/science.md §5-6). Hermite coefficients c_k and ℓ_k, the diffusion
# information exponent k* (also for every MCM sweep setting, so the MCM figures read their
# theory slopes from exponents.parquet), the population loss L(m) on the sphere and the
# radial term L_0(r), all 1-D Gaussian integrals (seconds on a CPU); and the overlap SDE's
# predicted curves for every MCM sweep (theory/dynamics/{sweep}.parquet).


rule theory_hermite:
    """Hermite coefficients c_k and l_k, the information exponent k* and the population loss L(m)."""
    output:
        **plan.job_outputs(RESULTS, "theory_hermite"),
    log:
        f"{RESULTS}/logs/theory/hermite.log",
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "theory_hermite"),
    script:
        "../scripts/theory_hermite.py"


rule theory_sweep_exponents:
    """The theory's k* for the settings of one MCM sweep."""
    output:
        **plan.job_outputs(RESULTS, "theory_sweep_exponents"),
    log:
        f"{RESULTS}/logs/theory/sweeps/{{sweep}}.log",
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "theory_sweep_exponents"),
    script:
        "../scripts/theory_sweep_exponents.py"


rule theory_dynamics:
    """The overlap SDE's predicted overlap curves and n* for one MCM sweep."""
    output:
        **plan.job_outputs(RESULTS, "theory_dynamics"),
    log:
        f"{RESULTS}/logs/theory/dynamics/{{sweep}}.log",
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "theory_dynamics"),
    script:
        "../scripts/theory_dynamics.py"


rule theory_radial:
    """The radial term L_0(r) - L_0(0) near r = 0 per activation and t."""
    output:
        **plan.job_outputs(RESULTS, "theory_radial"),
    log:
        f"{RESULTS}/logs/theory/radial.log",
    conda:
        "../../envs/numerics.yaml"
    params:
        **plan.job_params(config, "theory_radial"),
    script:
        "../scripts/theory_radial.py"
