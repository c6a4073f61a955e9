"""Every measured speed the cost estimate uses, one ``UnitCost`` each with where it was measured.

The job tables (``easy2hard.pipeline.plan``, each ``Job.cost``) multiply the work a job's
config asks for by these; ``easy2hard.pipeline.cost`` adds each job's start and sums.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UnitCost:
    """CPU seconds of one unit of work, and where that number was measured."""

    seconds: float
    unit: str
    source: str


#: where the unit costs of the stages calibrated on a whole run were measured: each job's
#: seconds from Snakemake's metadata of that run (each includes its start)
DEFAULT_RUN = "the default run (config/config.yaml, 2 idle cores) of 2026-12-07"

#: Every per-unit cost the estimates use (CPU seconds on one core of the 2-core test machine).
UNIT_COSTS: dict[str, UnitCost] = {
    "mcm_reduced": UnitCost(
        6.3e-8, "sample of one run, reduced engine (independent of N)",
        "benchmarks/mcm_engine.py: 1.6e7 samples/s per core, median of five runs at N = 128 "
        "and 4096 (docs/stages/mcm.md, 2026-12-02)"),
    "sde_path": UnitCost(
        7.2e-6, "path x form x (1 + c n_max) of the one-overlap SDE, c = lr Δ_t e^-t (a path's "
        "steps grow with its sample budget in drift time, c n_max)",
        "benchmarks/sde_paths.py: median over config/config.yaml's covariance and cumulant "
        "cells (6e-6 to 1.0e-5 from c n_max = 30 to 660), 2 shared cores, 2026-12-03"),
    "sde_path_2d": UnitCost(
        1.6e-4, "path x form x (1 + c n_max) of the two-overlap SDE (correlated latents)",
        "benchmarks/sde_paths.py: the cumulant_correlated cells of config/config.yaml "
        "(1.6e-4 to 1.7e-4 from c n_max = 53 to 133), 2026-12-03"),
    "sde_table": UnitCost(
        0.2, "coefficient table of one one-overlap setting",
        "benchmarks/sde_paths.py: 0.09 to 0.19 s, 2026-12-03"),
    "sde_table_2d": UnitCost(
        6.1, "coefficient table of one two-overlap setting (61 x 61 quadratures)",
        "benchmarks/sde_paths.py: the cumulant_correlated setting of config/config.yaml, "
        "2026-12-03"),
    "mcm_full": UnitCost(
        3.6e-8, "sample of one run times N, full lockstep engine",
        "benchmarks/mcm_engine.py: reduced/full = 923 at N = 4096, 16 runs (README, MCM)"),
    "network_flop": UnitCost(
        3.9e-10, "run x sample x N x width x depth of a network cell (training samples, "
        "and each logged step's test samples at a third: forward passes only)",
        f"least squares over the 9 jobs of {DEFAULT_RUN}, rule networks_cell: "
        "9 jobs, 141 s (with network_step; each job less 3 s of start and torch import)"),
    "network_step": UnitCost(
        6.3e-4, "lockstep step x (depth + 1) of a network cell (the optimiser's and each "
        "layer's fixed overhead)",
        f"least squares with network_flop, {DEFAULT_RUN}, rule networks_cell: "
        "9 jobs, 141 s (the m = 1 cells: 7.4 and 8.8 s, nearly all of it this overhead)"),
    "fourier_flop": UnitCost(
        1.8e-9, "run x step x batch x N x width of a synthetic Fourier cell",
        "README, Fourier clones: N = 16, 16 384 steps of 12 runs (batch 16, width 100) at "
        "150 steps/s"),
    "multipatch_flop": UnitCost(
        4.0e-10, "run x step x n x d x m x (patches + 1) of a two-patch training",
        "README, multipatch: the default stage took 82 CPU-s, most of it the diffusion job "
        "(15 runs x 8000 steps, n = 30, d = 1000, m = 20)"),
    "unet_pixel": UnitCost(
        4.4e-6, "image pixel of one training sample, U-Net base 8 depth 3 (x (base/8)^2 x depth/3)",
        "README, images: U-Net training 1000 steps x batch 32 on 32x32 patches, 2.4 min per seed; "
        "benchmarks/unet_train.py"),
    "unet_eval_image": UnitCost(
        2.0e-3, "image x noise level x set of a clone-loss evaluation, U-Net base 8 depth 3",
        "README, images: 7.3 CPU-min for the default image stage (16 evaluations of 500 "
        "images x 3 levels x 8 sets)"),
    "random_features_flop": UnitCost(
        4.0e-10, "multiply-add of the exact ridge solutions (plan.random_features.grid_work: "
        "p³ per decomposition, the SVD of finite-m samples, the Hermite moments)",
        f"{DEFAULT_RUN}, rules random_features_curve, _convergence, _phase and "
        "_samples: 13 jobs, 81.4 s, less 3 s of start and torch import each (42.4 s for "
        "1.09e11 multiply-adds)"),
    "linear_fit": UnitCost(
        8.2e-3, "fit of one (N, seed) of a linear closed form (its evaluation over every ridge, "
        "time and sampler, beside the d³ decomposition)",
        f"{DEFAULT_RUN}, rule linear_closed_form: the 9 Gaussian and patch jobs "
        "took 40.4 s, 1.0 s of work each at d = 16 (120 fits) beside 3 s of start"),
    "linear_cell": UnitCost(
        2.9e-8, "d³ of one (N, seed) fit of a linear closed form or hierarchy cell",
        f"{DEFAULT_RUN}, rule linear_closed_form: Gaussian and patch jobs at "
        "d = 64 took 0.9 s more work than at d = 16 (120 fits each)"),
    "linear_ideal_draw": UnitCost(
        9.6e-10, "training-set point x d² of a non-Gaussian law's ideal-sampler KL "
        "(ideal_reps x N x d² over every N > d)",
        f"{DEFAULT_RUN}, rule linear_closed_form: the 6 student_t and "
        "laplace_latent jobs took 16.3 s beyond the Gaussian jobs of the same d "
        "(1.69e10 point x d²)"),
    "linear_step": UnitCost(
        2.2e-3, "lockstep optimiser step of the trained linear denoisers (every (N, seed) run "
        "of a cell at once; d <= 16: the step's overhead dominates)",
        f"{DEFAULT_RUN}, rule linear_trained: 1 job, 25.4 s for 8000 Adam + "
        "2000 SGD steps"),
    "linear_sample_flop": UnitCost(
        7.0e-9, "N x sample x DDPM step x d² of the linear models' samples",
        f"{DEFAULT_RUN}, rule linear_samples: 1 job, 3.7 s (0.7 s beyond its "
        "start, for 9.8e7)"),
    "mlp_flop": UnitCost(
        4.5e-9, "run x step x batch x d x width of the MLP denoisers beside the linear ones",
        f"{DEFAULT_RUN}, rule linear_nonlinear: 1 job, 40.1 s (21 MLPs x 3000 "
        "steps x 64 x 16 x 128)"),
    "torch_import": UnitCost(
        2.0, "import of torch and the numerics in a job, beyond job_start",
        f"{DEFAULT_RUN}: rule random_features_limit (1 job of no measurable "
        "work) 3.0 s, random_features_convergence at d = 32 3.0 s, against 0.8 s for each "
        "numpy-only linear_patches job"),
    "job_start": UnitCost(
        5.0, "start of one job (Python, imports, reading the config), added to every job",
        "config/test/mcm.yaml: 12 jobs of negligible work took 71 CPU-s in all"),
    "small_job": UnitCost(
        5.0, "job of the theory, report or figure stages",
        "README: theory tables in seconds; each figure a few seconds"),
}


def unit(name: str) -> float:
    """CPU seconds of one unit of ``name``."""
    return UNIT_COSTS[name].seconds
