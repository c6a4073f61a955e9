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
        2.5e-4, "path x form x (1 + c n_max) of the two-overlap SDE (correlated latents)",
        f"{DEFAULT_RUN}, rule theory_dynamics: 1 job (sweep cumulant_correlated), 54 s "
        "(benchmarks/sde_paths.py gave 1.6e-4 to 1.7e-4 on 2026-12-03)"),
    "sde_start": UnitCost(
        2.0, "start of an overlap-SDE job beyond job_start (scipy, the quadrature tables)",
        f"{DEFAULT_RUN}, rule theory_dynamics: the covariance and cumulant jobs, 4 s and 6 s"),
    "mcm_start": UnitCost(
        0.8, "start of an MCM cell beyond job_start (the engine's compiled kernels)",
        f"{DEFAULT_RUN}, rule mcm_sweep_cell: the 14 cells under 0.5 s of samples took 1 to "
        "3 s each (20 jobs, 56 s)"),
    "hermite_tables": UnitCost(
        5.0, "the Hermite, k* and L(m) tables of the theory stage's activations",
        f"{DEFAULT_RUN}, rule theory_hermite: 1 job, 6 s"),
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
    "unet_pixel": UnitCost(
        2.15e-6, "image pixel of one training sample, U-Net base 8 depth 3 (x (base/8)^2 x depth/3)",
        f"{DEFAULT_RUN} (one seed), rule unet_train: 1 job, 74 s for 1000 steps x batch 32 "
        "on 32 x 32 patches"),
    "unet_lockstep": UnitCost(
        0.63, "training time of a U-Net run's seeds in lockstep relative to one after the other",
        "the default run (config/config.yaml, 2 idle cores) of 2026-12-07 with 3 seeds, rule "
        "unet_train: 1 job, 137 s, against 74 s for one seed alone in the run before "
        "(benchmarks/unet_lockstep.py, 2 threads: 0.83)"),
    "unet_eval_image": UnitCost(
        3.4e-4, "image x noise level x set of a clone-loss evaluation, U-Net base 8 depth 3",
        "images.evaluation.evaluate in channels_last, one thread, time.process_time: 2.05 "
        "CPU-s per level of 12 sets x 500 images at the last checkpoint of config/config.yaml's "
        "run (3.9 before channels_last), 2 shared cores, 2026-12-07 (docs/stages/images.md)"),
    "reference_flop": UnitCost(
        6.8e-11, "evaluated image x level x set x training image x pixel of the reference "
        "denoisers (the empirical optimum's distances dominate)",
        f"{DEFAULT_RUN} (one seed), rule unet_reference: 1 job, 11 s for 500 images x 12 sets "
        "x 3 levels x 6000 training images x 1024 pixels"),
    "unet_sample_pixel": UnitCost(
        7.0e-7, "sample x reverse step x pixel of U-Net sampling, U-Net base 8 depth 3",
        f"{DEFAULT_RUN}, rule unet_sample: 3 jobs, 45 s for 16 samples x 1000 steps x 1024 "
        "pixels each"),
    "random_features_flop": UnitCost(
        4.0e-10, "multiply-add of the exact ridge solutions (plan.random_features.grid_work: "
        "p³ per decomposition, the SVD of finite-m samples, the Hermite moments)",
        f"{DEFAULT_RUN}, rules random_features_curve, random_features_convergence, "
        "random_features_phase and random_features_samples: 13 jobs, 81.4 s, less 3 s of "
        "start and torch import each (42.4 s for 1.09e11 multiply-adds)"),
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
    "torch_start": UnitCost(
        2.5, "start of a job that imports torch, beyond job_start (a numpy job's start)",
        f"{DEFAULT_RUN}, rules of negligible work: random_features_limit 1 job, 3.0 s; "
        "fourier_clone 4 jobs, 13 s; fourier_examples 1 job, 3 s; against 0.8 s for each "
        "numpy-only linear_patches job"),
    "numba_start": UnitCost(
        2.2, "start of a job that compiles the classifier's numba kernels, beyond job_start",
        "the default run of 2026-12-07, rule fourier_classifier_cell: 4 jobs, 31 s, of which "
        "the kernels' 1.9e7 samples took 18.2 s (the jobs' logs)"),
    "dataset_build": UnitCost(
        1.0, "work of one dataset's splits from local files (natural_patches: 12 000 images of "
        "32 x 32; a download is not counted)",
        "the default run of 2026-12-07, rule data_splits: 1 job, 2 s"),
    "gaussian_twin": UnitCost(
        0.75, "work of one Gaussian twin (fit on its set, draw 4000 images of 32 x 32)",
        "the default run of 2026-12-07, rule clones_twin: 4 jobs, 7 s"),
    "covariance_set": UnitCost(
        0.11, "one image set's covariance mismatch to the test split (4000 images of 32 x 32)",
        "the default run of 2026-12-07, rule fourier_covariance: 1 job of 9 sets, 2 s"),
    "fourier_step": UnitCost(
        5.7e-4, "lockstep step of a synthetic Fourier denoiser cell (6 runs x batch 16 x width "
        "100: overhead-bound, the step's arithmetic is not resolved at this size)",
        "the default run of 2026-12-07, rule fourier_synthetic_cell: 3 jobs, 22 s; the slope "
        "of the logs' training times 2.4, 4.5, 6.5 s against 1024, 3456, 8192 steps"),
    "fourier_flop": UnitCost(
        3.2e-9, "run x batch x N x width of one step of a synthetic Fourier denoiser cell, "
        "where that is above fourier_step (larger cells are arithmetic-bound)",
        "a run of 2026-12-07 on 2 shared cores, rule fourier_synthetic_cell: 2 jobs, 57 s "
        "(40 runs x batch 64 x width 100; training 1.7 s for 128 steps at N = 32 and 29 s for "
        "512 steps at N = 64: 1.7e-9 and 3.5e-9 per unit; 3.2e-9 gives their 30.7 s)"),
    "fourier_eval_sample": UnitCost(
        5.0e-6, "test signal x run x logged point of a synthetic Fourier denoiser cell",
        "the default run of 2026-12-07, rule fourier_synthetic_cell: 3 jobs, 22 s; the 1.8 s "
        "intercept of the training times against steps, over 30 points x 2000 signals x 6 runs"),
    "fourier_classifier_sample": UnitCost(
        9.0e-7, "sample of one run of the phase classifier (numba kernel)",
        "the default run of 2026-12-07, rule fourier_classifier_cell: 4 jobs, 31 s; the logs' "
        "1.05e7 samples in 9 s (N = 32) and 8.4e6 in 8 s (N = 64)"),
    "multipatch_diffusion_step": UnitCost(
        1.0e-4, "run x step of the two-patch denoiser (lockstep, in the k = 2m + 2S + nQ "
        "coordinates of its span), with its logged clone losses",
        "the default run of 2026-12-07, rule multipatch_diffusion: 1 job, 37 s (80 runs x 4000 "
        "steps)"),
    "multipatch_classification_step": UnitCost(
        2.5e-5, "run x step of the two-patch classifier (lockstep)",
        "the default run of 2026-12-07, rule multipatch_classification: 1 job, 5 s (80 runs x "
        "500 steps)"),
    "multipatch_bootstrap": UnitCost(
        0.017, "bootstrap resample of the phases job's fits (slopes, switch, width exponents)",
        "the default run of 2026-12-07, rule multipatch_phases: 1 job, 18 s (1000 resamples)"),
    "job_start": UnitCost(
        1.0, "start of one job (Python, numpy, reading the config), added to every job",
        f"{DEFAULT_RUN}: rules of negligible work, linear_patches 3 jobs, 2 s; clones_sample "
        "3 jobs, 3 s; claims_* 9 jobs, 13 s"),
    "small_job": UnitCost(
        1.0, "work of a theory table, a claims job or a report page, beyond job_start",
        f"{DEFAULT_RUN}: theory_hermite 6 s, theory_radial 3 s, theory_sweep_exponents 3 jobs "
        "8 s, claims_* 9 jobs 13 s, report_table 3 jobs 0 s"),
    "figure": UnitCost(
        2.4, "drawing of one figure (matplotlib's import and the PDF and PNG), beyond job_start",
        f"{DEFAULT_RUN}: rules figure_*: 38 jobs, 130 s"),
}


def unit(name: str) -> float:
    """CPU seconds of one unit of ``name``."""
    return UNIT_COSTS[name].seconds
