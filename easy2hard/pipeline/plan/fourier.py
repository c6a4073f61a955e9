"""Plan of the fourier stage (docs/science.md §12): amplitudes before phases.

Paths, under ``results``:
  clones/{dataset}/{amplitude,phase,amplitude_swap,amplitude_whitened}.npy  Fourier clones
  fourier/{dataset}/examples.parquet                      a few test images and their clones
  fourier/{dataset}/covariance.parquet                    each clone's covariance mismatch
  fourier/{dataset}/tracking.parquet                      U-Net loss gaps of each set to test
  fourier/synthetic/N{N}.parquet                          one lockstep cell per N (α x seeds)
  fourier/synthetic/examples.parquet                      signals of the model and its clone
  fourier/synthetic/thresholds.parquet                    denoiser n* per (N, α)
  fourier/classifier/N{N}.parquet                         classifier runs of one N (readout x α
                                                          x seeds; α = 0 only at a flat_N)
  fourier/classifier/{passages,thresholds,exponents}.parquet   classifier n* per seed, per
                                                          (readout, N, α) with bootstrap CI and
                                                          planted error, exponents per (readout, α)
  figures/fourier_examples_{dataset}, fourier_clone_gaps_{dataset}   (.pdf, .png;
                                                          DATASET_FIGURES, registry)
  figures/fourier_phase_gap, fourier_classifier_errors, fourier_phase_threshold
                                                          (SYNTHETIC_FIGURES, registry)
"""

from __future__ import annotations

from ...core import budget
from ...fourier.names import denoiser_steps
from ..unit_costs import unit
from . import images
from .common import device, figure_files, fill, path, pick, without
from .stage import Claim, Cost, Figure, Job, Stage

CLONES = images.FOURIER_CLONES
SETS = ("meancov", *CLONES)  # the sets the gap figure compares with test

#: the stage's files (templates under the results root), one per output; a Fourier clone
#: sits beside the Gaussian clones (images.CLONE, its own wildcard name)
FOURIER_CLONE = fill(images.CLONE, clone="{fclone}")
EXAMPLES = "fourier/{dataset}/examples.parquet"
COVARIANCE = "fourier/{dataset}/covariance.parquet"
TRACKING = "fourier/{dataset}/tracking.parquet"
SYNTHETIC_CELL = "fourier/synthetic/N{N}.parquet"
SYNTHETIC_EXAMPLES = "fourier/synthetic/examples.parquet"
SYNTHETIC_THRESHOLDS = "fourier/synthetic/thresholds.parquet"
CLASSIFIER_CELL = "fourier/classifier/N{N}.parquet"
CLASSIFIER_TABLE = "fourier/classifier/{table}.parquet"


def clone_files(cfg: dict, results: str, dataset: str) -> dict:
    return {c: images.clone_file(results, dataset, c) for c in cfg["fourier"]["clones"]}


def tracked_runs(cfg: dict, dataset: str) -> list[str]:
    """U-Net runs on ``dataset`` that evaluate at least one Fourier clone."""
    return [r for r in images.runs_on(cfg, dataset)
            if set(cfg["unet"]["runs"][r]["evaluation"]["sets"]) & set(CLONES)]


def examples_inputs(cfg: dict, results: str, dataset: str) -> dict:
    """The test split and every Fourier clone of it."""
    return {**clone_files(cfg, results, dataset), **images.splits(results, dataset, "test")}


def covariance_inputs(cfg: dict, results: str, dataset: str) -> dict:
    """The test and train splits, every Gaussian clone and every Fourier clone."""
    return {**images.splits(results, dataset, "test", "train"),
            **{c: images.clone_file(results, dataset, c) for c in images.CLONES},
            **clone_files(cfg, results, dataset)}


def tracking_inputs(cfg: dict, results: str, dataset: str) -> list[str]:
    return [images.run_file(results, images.LOSSES, dataset, r) for r in tracked_runs(cfg, dataset)]


def clone_gaps_inputs(cfg: dict, results: str, dataset: str) -> dict:
    runs = tracked_runs(cfg, dataset)
    return {"gaps": [images.run_file(results, images.GAPS, dataset, r) for r in runs],
            "losses": [images.run_file(results, images.LOSSES, dataset, r) for r in runs],
            "tracking": [path(results, TRACKING, dataset=dataset)]}


def clone_gaps_params(cfg: dict, dataset: str) -> dict:
    """The gaps figure's sets, z, seed-interval level (the claims') and k: each run's smallest
    fixed k (the claims' k, evaluated at every checkpoint) and k uniform."""
    runs = cfg["unet"]["runs"]
    ks = {str(min(runs[r]["evaluation"]["fixed_k"])) for r in tracked_runs(cfg, dataset)
          if runs[r]["evaluation"]["fixed_k"]}
    return {"z": cfg["fourier"]["tracking_z"], "sets": ["meancov", *cfg["fourier"]["clones"]],
            "level": cfg["claims"]["level"], "ks": sorted(ks) + ["all"]}


#: the figures of the image part, one per dataset (drawn by the images domain's functions)
DATASET_FIGURES = (
    Figure("fourier_examples_{dataset}", "easy2hard.images.plots:clone_examples",
           lambda cfg, results, dataset: {"examples": [path(results, EXAMPLES, dataset=dataset)]},
           category="Fourier",
           wildcards={"dataset": images.DATASET_PATTERN}),
    Figure("fourier_clone_gaps_{dataset}", "easy2hard.images.plots:clone_gaps",
           clone_gaps_inputs, params=clone_gaps_params, category="Fourier",
           wildcards={"dataset": images.DATASET_PATTERN}),
)


def synthetic_cells(cfg: dict, results: str) -> list[str]:
    return [path(results, SYNTHETIC_CELL, N=N) for N in cfg["fourier"]["synthetic"]["N"]]


def synthetic_spec(cfg: dict) -> dict:
    """What one cell's table depends on (the N list only adds cells; margin only the figure)."""
    return without(cfg["fourier"]["synthetic"], "N", "margin")


def classifier_Ns(cfg: dict) -> list[int]:
    """Every N of the classifier: the sweep's (classifier.N) and the flat-only (flat_N)."""
    spec = cfg["fourier"]["classifier"]
    return sorted(set(spec["N"]) | set(spec["flat_N"])) if spec["N"] else []


def classifier_cells(cfg: dict, results: str) -> list[str]:
    return [path(results, CLASSIFIER_CELL, N=N) for N in classifier_Ns(cfg)]


def classifier_spec(cfg: dict, N: int) -> dict:
    """What the classifier cell at N depends on (the N lists only add cells; bootstrap and
    task_tolerance only the summary): every alpha and readout at an N of classifier.N,
    α = 0 with the first readout at an N of flat_N alone."""
    spec = without(cfg["fourier"]["classifier"], "N", "flat_N", "bootstrap", "task_tolerance")
    if N in cfg["fourier"]["classifier"]["N"]:
        return spec
    return {**spec, "alpha": [0.0], "readout": spec["readout"][:1]}


CLASSIFIER_TABLES = ("passages", "thresholds", "exponents")


def classifier_tables(results: str) -> dict:
    return {t: path(results, CLASSIFIER_TABLE, table=t) for t in CLASSIFIER_TABLES}


def _phase_gap_inputs(cfg: dict, results: str) -> dict:
    return {"cells": synthetic_cells(cfg, results),
            "examples": [path(results, SYNTHETIC_EXAMPLES)]}


def _threshold_inputs(cfg: dict, results: str) -> dict:
    tables = classifier_tables(results)
    out = {"classifier": [tables["thresholds"]], "exponents": [tables["exponents"]]}
    if cfg["fourier"]["synthetic"]["N"]:
        out["denoiser"] = [path(results, SYNTHETIC_THRESHOLDS)]
    return out


SYNTHETIC_FIGURES = (
    Figure("fourier_phase_gap", "easy2hard.fourier.plots:phase_gap", _phase_gap_inputs,
           category="Fourier", params=lambda cfg: {"margin": cfg["fourier"]["synthetic"]["margin"]}),
    Figure("fourier_classifier_errors", "easy2hard.fourier.plots:classifier_errors",
           lambda cfg, results: {"cells": classifier_cells(cfg, results)}, category="Fourier"),
    Figure("fourier_phase_threshold", "easy2hard.fourier.plots:phase_thresholds",
           _threshold_inputs, category="Fourier"),
)


def synthetic_targets(cfg: dict, results: str) -> list[str]:
    """The denoiser sweep (synthetic.N) and the classifier sweep (classifier.N), each with
    its tables and figures; the threshold figure needs the classifier sweep."""
    out = []
    if cfg["fourier"]["synthetic"]["N"]:
        out += synthetic_cells(cfg, results)
        out.append(path(results, SYNTHETIC_THRESHOLDS))
        out += figure_files(results, "fourier_phase_gap")
    if cfg["fourier"]["classifier"]["N"]:
        out += classifier_cells(cfg, results) + list(classifier_tables(results).values())
        out += figure_files(results, "fourier_classifier_errors")
        out += figure_files(results, "fourier_phase_threshold")
    return out


def image_targets(cfg: dict, results: str) -> list[str]:
    out = []
    if not cfg["fourier"]["clones"]:
        return out
    for dataset in cfg["datasets"]["build"]:
        out += list(clone_files(cfg, results, dataset).values())
        out.append(path(results, COVARIANCE, dataset=dataset))
        out += figure_files(results, f"fourier_examples_{dataset}")
    for dataset in images.datasets(cfg):
        if tracked_runs(cfg, dataset):
            out.append(path(results, TRACKING, dataset=dataset))
            out += figure_files(results, f"fourier_clone_gaps_{dataset}")
    return out


def targets(cfg: dict, results: str) -> list[str]:
    """Fourier clones and their figures for every dataset; the synthetic sweeps' figures."""
    return image_targets(cfg, results) + synthetic_targets(cfg, results)


def needs(cfg: dict) -> dict:
    """The image part (``fourier.clones``) clones the images stage's dataset splits and
    tracks its U-Net runs: it needs images; the synthetic sweeps need nothing."""
    return {"images": "fourier.clones"} if image_targets(cfg, "results") else {}


def synthetic_examples_params(cfg: dict) -> dict:
    """The law of the example signals, drawn at the largest N of the sweep."""
    syn = cfg["fourier"]["synthetic"]
    return {"spec": lambda wildcards: pick(syn, "alpha", "density", "signs", "seeds"),
            "N": lambda wildcards: max(syn["N"])}


def start_with(name: str, key: str, work: str = ""):
    """The cost of a job whose work is its start, with torch or numba (unit ``name``)."""
    return lambda cfg, **wildcards: Cost(unit(name), key, work)


def covariance_cost(cfg: dict, dataset: str) -> Cost:
    sets = len(covariance_inputs(cfg, "", dataset))
    return Cost(sets * unit("covariance_set"), "fourier.clones", f"{sets} sets")


def synthetic_cost(cfg: dict, N: str) -> Cost:
    """steps x one lockstep step (its overhead, or its arithmetic in larger cells), the
    logged evaluations, and the job's torch import."""
    spec = synthetic_spec(cfg)
    runs = len(spec["alpha"]) * len(spec["seeds"])
    steps = denoiser_steps(spec, int(N))
    step = max(unit("fourier_step"),
               runs * spec["batch"] * int(N) * spec["width"] * unit("fourier_flop"))
    evals = runs * spec["log_points"] * spec["eval_samples"]
    seconds = steps * step + evals * unit("fourier_eval_sample")
    return Cost(seconds + unit("torch_start"), "fourier.synthetic", f"{runs} runs x {steps} steps")


def classifier_work(cfg: dict, N: int) -> tuple[int, int]:
    """(runs, samples per run) of the classifier cell at N: readout x alpha x seeds of its
    spec, each to its budget n_max (``easy2hard.fourier.classifier.settings``)."""
    spec = classifier_spec(cfg, N)
    runs = len(spec["readout"]) * len(spec["alpha"]) * len(spec["seeds"])
    return runs, budget.n_max(spec["n_max"], N)


def classifier_cost(cfg: dict, N: str) -> Cost:
    """runs x n_max samples of the numba kernel, and its compilation."""
    runs, n = classifier_work(cfg, int(N))
    return Cost(runs * n * unit("fourier_classifier_sample") + unit("numba_start"),
                "fourier.classifier", f"{runs} runs x {n:.3g} samples")


JOBS = {
    "fourier_clone": Job(
        outputs={"clone": FOURIER_CLONE}, params=images.clone_sampling,
        inputs=lambda cfg, results, dataset, fclone: images.splits(results, dataset, "test"),
        cost=start_with("torch_start", "clones.n_samples", "one Fourier clone"),
        wildcards=lambda cfg: images.dataset_wildcards(cfg, fclone=images.FOURIER_CLONE_PATTERN)),
    "fourier_examples": Job(
        outputs={"examples": EXAMPLES}, inputs=examples_inputs, params=images.clone_examples,
        cost=start_with("torch_start", "clones.examples"), wildcards=images.dataset_wildcards),
    "fourier_covariance": Job(outputs={"covariance": COVARIANCE}, inputs=covariance_inputs,
                              cost=covariance_cost, wildcards=images.dataset_wildcards),
    "fourier_tracking": Job(
        outputs={"tracking": TRACKING}, wildcards=images.dataset_wildcards,
        inputs=lambda cfg, results, dataset: {"losses": tracking_inputs(cfg, results, dataset)},
        params=lambda cfg: {"z": cfg["fourier"]["tracking_z"]},
        cost=images.start_only("fourier.tracking_z")),
    "fourier_synthetic_cell": Job(
        outputs={"cell": SYNTHETIC_CELL}, cost=synthetic_cost,
        params=lambda cfg: {"spec": synthetic_spec(cfg), **device(cfg)}),
    "fourier_synthetic_examples": Job(
        outputs={"examples": SYNTHETIC_EXAMPLES}, params=synthetic_examples_params,
        cost=start_with("torch_start", "fourier.synthetic")),
    "fourier_thresholds": Job(
        outputs={"thresholds": SYNTHETIC_THRESHOLDS},
        inputs=lambda cfg, results: {"cells": synthetic_cells(cfg, results)},
        params=lambda cfg: {"margin": cfg["fourier"]["synthetic"]["margin"]},
        cost=images.start_only("fourier.synthetic.margin")),
    "fourier_classifier_cell": Job(
        outputs={"cell": CLASSIFIER_CELL}, cost=classifier_cost,
        params=lambda cfg: {"spec": lambda wildcards: classifier_spec(cfg, int(wildcards.N))}),
    "fourier_classifier_thresholds": Job(
        outputs={t: fill(CLASSIFIER_TABLE, table=t) for t in CLASSIFIER_TABLES},
        inputs=lambda cfg, results: {"cells": classifier_cells(cfg, results)},
        params=lambda cfg: {"bootstrap": cfg["fourier"]["classifier"]["bootstrap"],
                            "task_tolerance": cfg["fourier"]["classifier"]["task_tolerance"]},
        cost=images.start_only("fourier.classifier.bootstrap")),
}


def passages_input(cfg: dict, results: str) -> dict:
    """The classifier's per-seed n* (censored seeds NaN), when this config runs the sweep."""
    if not cfg["fourier"]["classifier"]["N"]:
        return {}
    return {"passages": [classifier_tables(results)["passages"]]}


def claim_settings(cfg: dict) -> dict:
    """One task across N: the planted neuron's error within classifier.task_tolerance of its
    value at the largest N (2000 test signals: s.e. ≈ 0.01); a fit needs a decade of N."""
    return {"alpha": 0.0, "oracle_tolerance": cfg["fourier"]["classifier"]["task_tolerance"],
            "min_range": 10.0, "band_tolerance": 0.25}


CLAIMS = (
    Claim(id="fourier.phase_exponent",
          statement="Online SGD needs between N³ and N³ ln² N samples to learn the phases of a "
                    "flat-spectrum signal of length N (lower bound n ≪ N³ fails, upper bound "
                    "n ≫ N³ ln² N succeeds).",
          source="Ricci, Merger & Goldt (2026), abstract (the project holds no fuller text); "
                 "docs/science.md §12.5",
          prediction="slope of ln(median n*) on ln N at α = 0, over the N of one task (planted "
                     "error within 0.05 of the largest N's), inside [3 − 0.25, 3 + 2/ln N̄ + 0.25] "
                     "(N̄: geometric mean of the fitted N); needs ≥ 3 N spanning a decade",
          control="a change of task with N: the same fit over every N of the table (N = 8 has one "
                  "spike per signal, planted error 0.15 against 0.33)",
          calibration="over half the seeds reach the level e* within the budget at every fitted N "
                      "(median n* uncensored)",
          evaluate="easy2hard.fourier.claims:phase_exponent", inputs=passages_input,
          params=claim_settings, figure="fourier_phase_threshold"),
    Claim(id="fourier.spectrum_speeds_phase_learning",
          statement="Power-law spectra |k|^-α speed phase learning up.",
          source="Ricci, Merger & Goldt (2026), abstract",
          prediction="n*(α) / n*(0) < 1 (geometric mean over the same-task N of the median "
                     "ratio, α the smallest α > 0), interval below 1",
          control="the readout He₄(w·x)/√24 assumes var(w·x) = 1: along the planted whitened "
                  "neuron var(h) < 1 at α > 0 and the contrast scales as var(h)², so α is "
                  "confounded with the readout unless it is normalised by the neuron's own "
                  "variance; the claim decides from the normalised readout's runs "
                  "(classifier.readout) and reports the he4 contrast factor at the largest N "
                  "as the control estimate",
          calibration="the α = 0 cells learn (median n* uncensored) and the planted neuron errs "
                      "no more at α > 0 (within 0.05): the task is not harder",
          evaluate="easy2hard.fourier.claims:spectrum_speeds_phase_learning",
          inputs=passages_input, params=claim_settings, figure="fourier_classifier_errors"),
)

STAGE = Stage(name="fourier", targets=targets, needs=needs,
              figures=DATASET_FIGURES + SYNTHETIC_FIGURES, jobs=JOBS, claims=CLAIMS)
