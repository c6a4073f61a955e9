"""Plan of the image stages: datasets, Gaussian clones, U-Net training and evaluation.

Paths, under ``results``:
  data/{dataset}/{train,val,test}.npy, manifest.parquet   splits of each dataset
  clones/{dataset}/{clone}.npy                            clones of the test split
  clones/{dataset}/twin_{set}.npy                         Gaussian twin N(μ_S, Σ_S) of a set
  unet/{dataset}/{run}/SHA256SUMS                         every seed's checkpoint states (the
                                                          run's training job: seeds in lockstep)
  unet/{dataset}/{run}/seed{seed}/ckpt/step{step}.pt     checkpoints (published per seed from it)
  unet/{dataset}/{run}/seed{seed}/resume/                 resume states (kept across kills;
                                                          another fingerprint's in set_aside/)
  unet/{dataset}/{run}/seed{seed}/reference.parquet      reference denoisers, per image
  unet/{dataset}/{run}/seed{seed}/eval/step{step}.parquet one evaluation job per checkpoint
  unet/{dataset}/{run}/seed{seed}/samples/step{step}.png  sample grids (first seed)
  unet/{dataset}/{run}/losses.parquet, samples.parquet    merged per run
  unet/{dataset}/{run}/gaps.parquet                       seed-mean gaps, U-Net and Wiener
  unet/{dataset}/{run}/memorisation.parquet               nearest-neighbour ratio per step
  figures/clone_examples_, clone_losses_, samples_, memorisation_, fourier_examples_,
          fourier_clone_gaps_{dataset}                    (.pdf, .png; registered below)
"""

from __future__ import annotations

from operator import itemgetter

from ...core.lockstep_tables import checkpoint_steps
from ...fourier.names import CLONES as FOURIER_CLONES  # made by the fourier stage's rules
from ...images.clones import CLONES, TWIN_SOURCES
from ...images.datasets import DATASETS
from ..provenance import modules_hash
from . import external
from .common import device, figure_files, pattern
from .stage import Claim, Figure, Stage

#: the module whose code, with its imports, makes the U-Net weights (in the resume fingerprint)
TRAINING_MODULE = "easy2hard.images.lockstep"

#: the wildcard constraints of dataset names, Gaussian and Fourier clone sets
DATASET_PATTERN = pattern(DATASETS)
CLONE_PATTERN = pattern(CLONES)
TWIN_SOURCE_PATTERN = pattern(TWIN_SOURCES)


def twin_source_file(results: str, dataset: str, source: str) -> str:
    """The images a Gaussian twin is fitted on: the train split, or a Fourier clone."""
    if source == "train":
        return f"{results}/data/{dataset}/train.npy"
    return f"{results}/clones/{dataset}/{source}.npy"
FOURIER_CLONE_PATTERN = pattern(FOURIER_CLONES)


def run_spec(cfg: dict, run: str, dataset: str) -> dict:
    """The config of run ``run``, checked against the ``dataset`` in the requested path."""
    runs = cfg["unet"]["runs"]
    if run not in runs:
        raise ValueError(f"config key 'unet.runs': unknown run {run!r}; allowed: {sorted(runs)}")
    spec = runs[run]
    if spec["dataset"] != dataset:
        raise ValueError(f"config key 'unet.runs.{run}.dataset' is {spec['dataset']!r}, "
                         f"not {dataset!r} as in the requested path")
    return spec


def steps(spec: dict) -> list[int]:
    """The run's checkpoint steps: its log-spaced grid, or the folders of external checkpoints."""
    if external.is_external(spec):
        return external.steps(spec)
    return checkpoint_steps(spec["training"]["steps"], spec["checkpoints"]["n"], spec["checkpoints"]["first"])


def sample_steps(spec: dict) -> list[int]:
    """``samples.checkpoints`` checkpoints evenly spaced in the checkpoint list, last included."""
    all_steps, c = steps(spec), spec["samples"]["checkpoints"]
    if c <= 0 or external.is_external(spec):  # no samples of external checkpoints
        return []
    if c == 1:
        return [all_steps[-1]]
    picks = {round(i * (len(all_steps) - 1) / (c - 1)) for i in range(c)}
    return [all_steps[i] for i in sorted(picks)]


def train_spec(spec: dict) -> dict:
    """Model, DDPM and training keys in one flat dict (what the library takes); a ``paper``
    model leaves out the keys of other kinds (its jobs' params are those before kinds)."""
    model = spec["model"]
    if model["kind"] == "paper":
        model = {k: v for k, v in model.items() if k not in ("kind", "diffusers")}
    return {**model, **spec["ddpm"], **spec["training"]}


def datasets(cfg: dict) -> list[str]:
    return sorted({spec["dataset"] for spec in cfg["unet"]["runs"].values()})


def runs_on(cfg: dict, dataset: str, with_samples: bool = False) -> list[str]:
    return [r for r, s in cfg["unet"]["runs"].items()
            if s["dataset"] == dataset and (not with_samples or (
                s["samples"]["checkpoints"] and not external.is_external(s)))]


def run_dir(results: str, dataset: str, run: str) -> str:
    return f"{results}/unet/{dataset}/{run}"


def eval_tables(cfg: dict, results: str, dataset: str, run: str) -> list[str]:
    spec = run_spec(cfg, run, dataset)
    return [f"{run_dir(results, dataset, run)}/seed{seed}/eval/step{step}.parquet"
            for seed in spec["seeds"] for step in steps(spec)]


def sample_tables(cfg: dict, results: str, dataset: str, run: str) -> list[str]:
    spec = run_spec(cfg, run, dataset)
    return [f"{run_dir(results, dataset, run)}/seed{spec['seeds'][0]}/samples/step{step}.parquet"
            for step in sample_steps(spec)]


def set_files(cfg: dict, results: str, dataset: str, run: str) -> dict:
    """The images of every evaluation set of ``run`` (test and train always)."""
    spec = run_spec(cfg, run, dataset)
    files = {s: f"{results}/clones/{dataset}/{s}.npy" for s in spec["evaluation"]["sets"]}
    files["test"] = f"{results}/data/{dataset}/test.npy"
    files["train"] = f"{results}/data/{dataset}/train.npy"
    return files


def run_manifest(results: str, dataset: str, run: str) -> str:
    """The run's training job output: the SHA-256 of every seed's checkpoint states."""
    return f"{run_dir(results, dataset, run)}/SHA256SUMS"


def reference_table(results: str, dataset: str, run: str, seed) -> str:
    return f"{run_dir(results, dataset, run)}/seed{seed}/reference.parquet"


def eval_inputs(cfg: dict, results: str, dataset: str, run: str, seed, step=None) -> dict:
    """Checkpoints (the training job's folder, or the external model folder of ``step``),
    sets and (when the run lists reference denoisers) their losses."""
    spec = run_spec(cfg, run, dataset)
    ckpt = (external.model_files(spec, step) if external.is_external(spec) else
            {"ckpt": f"{run_dir(results, dataset, run)}/seed{seed}/ckpt"})
    out = {**ckpt, **set_files(cfg, results, dataset, run)}
    if spec["evaluation"]["reference"]:
        out["reference"] = reference_table(results, dataset, run, seed)
    return out


def memorisation_inputs(cfg: dict, results: str, dataset: str, run: str) -> dict:
    return {"samples": f"{run_dir(results, dataset, run)}/samples.parquet",
            "train": f"{results}/data/{dataset}/train.npy",
            "test": f"{results}/data/{dataset}/test.npy"}


def model_table(results: str, dataset: str, run: str) -> str:
    """The run's data and model in one row (easy2hard.images.description)."""
    return f"{run_dir(results, dataset, run)}/model.parquet"


def unet_targets(cfg: dict, results: str) -> list[str]:
    out = []
    for dataset in datasets(cfg):
        out += [f"{run_dir(results, dataset, run)}/losses.parquet" for run in runs_on(cfg, dataset)]
        out += [model_table(results, dataset, run) for run in runs_on(cfg, dataset)]
        out += [f"{run_dir(results, dataset, run)}/gaps.parquet" for run in runs_on(cfg, dataset)]
        out += figure_files(results, f"clone_losses_{dataset}")
        if runs_on(cfg, dataset, with_samples=True):
            out += figure_files(results, f"samples_{dataset}")
            out += figure_files(results, f"memorisation_{dataset}")
    return out


def targets(cfg: dict, results: str) -> list[str]:
    """Each built dataset's manifest, clones and clone figure; every U-Net run's tables."""
    out = []
    for dataset in cfg["datasets"]["build"]:
        out.append(f"{results}/data/{dataset}/manifest.parquet")
        out += [f"{results}/clones/{dataset}/{clone}.npy" for clone in CLONES]
        out += figure_files(results, f"clone_examples_{dataset}")
    return out + unet_targets(cfg, results)


def check(cfg: dict) -> list[str]:
    """Every U-Net run's settings fit together."""
    return unet_problems(cfg)


def dataset_problems(cfg: dict) -> list[str]:
    """Every built dataset's value range is an interval. Datasets serve several stages (images,
    linear, multipatch), so this runs whether or not the images stage is on."""
    out = []
    for dataset in cfg["datasets"]["build"]:
        lo, hi = cfg["datasets"][dataset]["range"]
        if not lo < hi:
            out.append(f"config key 'datasets.{dataset}.range': [{lo}, {hi}] is empty; "
                       f"allowed: [lo, hi] with lo < hi")
    return out


def unet_problems(cfg: dict) -> list[str]:
    """Each U-Net run's settings fit together: checked before any training job, which at
    paper scale is a day of GPU."""
    out = []
    for run, spec in cfg["unet"]["runs"].items():
        out += unet_fixed_k(run, spec)
        if external.is_external(spec):  # no training: the model's folders are read when planned
            out += external.config_problems(run, spec)
            continue
        out += unet_checkpoints(run, spec)
        out += unet_depth(run, spec, cfg["datasets"][spec["dataset"]]["size"])
        out += unet_training_images(run, spec, cfg["datasets"][spec["dataset"]])
    return out


#: the fewest training images a run can use: evaluation, the reference denoisers and the
#: memorisation ratio (nearest over second-nearest training image) each need two
MIN_TRAINING_IMAGES = 2


def unet_training_images(run: str, spec: dict, dataset: dict) -> list[str]:
    """The run's training subset (``train_subset``, at most the train split's configured
    count) holds at least ``MIN_TRAINING_IMAGES`` images."""
    subset, n_train = spec["training"]["train_subset"], dataset.get("counts", {}).get("train")
    if subset < MIN_TRAINING_IMAGES:
        key, value = f"unet.runs.{run}.training.train_subset", subset
    elif n_train is not None and n_train < MIN_TRAINING_IMAGES:
        key, value = f"datasets.{spec['dataset']}.counts.train", n_train
    else:
        return []
    return [f"config key '{key}': {value} training image(s) are too few to evaluate run {run} "
            f"(losses, reference denoisers and memorisation compare at least two); "
            f"allowed: >= {MIN_TRAINING_IMAGES}"]


def unet_fixed_k(run: str, spec: dict) -> list[str]:
    T = spec["ddpm"]["T"]
    bad = [k for k in spec["evaluation"]["fixed_k"] if k >= T]
    return [f"config key 'unet.runs.{run}.evaluation.fixed_k': step(s) {bad} do not exist with "
            f"ddpm.T = {T}; allowed: integers 0 <= k <= {T - 1}"] if bad else []


def unet_checkpoints(run: str, spec: dict) -> list[str]:
    steps, n, first = spec["training"]["steps"], spec["checkpoints"]["n"], spec["checkpoints"]["first"]
    out = []
    if first > steps:
        out.append(f"config key 'unet.runs.{run}.checkpoints.first': {first} is after the last "
                   f"training step ({steps}); allowed: 1 <= first <= training.steps = {steps}")
    elif n > steps - first + 1:
        out.append(f"config key 'unet.runs.{run}.checkpoints.n': {n} checkpoints do not fit in "
                   f"steps {first}..{steps}; allowed: n <= {steps - first + 1} (training.steps "
                   f"- checkpoints.first + 1)")
    return out


def unet_depth(run: str, spec: dict, size: int) -> list[str]:
    """Each of the ``depth`` max-pools halves the image side, which must stay an integer."""
    if spec["model"]["kind"] == "diffusers":
        from .folders import diffusers_problems  # model kinds other than the paper's

        return diffusers_problems(run, spec, size)
    depth = spec["model"]["depth"]
    if size % 2**depth == 0:
        return []
    fits = [d for d in range(1, 7) if size % 2**d == 0]
    return [f"config key 'unet.runs.{run}.model.depth': {depth} poolings need an image side "
            f"divisible by 2**{depth} = {2**depth}, but datasets.{spec['dataset']}.size is "
            f"{size}; allowed: depth in {fits or '(none: make the size even)'}"]


def runs_files(name: str, with_samples: bool = False):
    """Inputs of a figure that reads ``{run_dir}/<name>`` of every run on the dataset."""
    def inputs(cfg: dict, results: str, dataset: str) -> dict:
        return {name.split(".")[0]: [f"{run_dir(results, dataset, run)}/{name}"
                                     for run in runs_on(cfg, dataset, with_samples)]}
    return inputs


def fourier_runs(cfg: dict, dataset: str) -> list[str]:
    """U-Net runs on ``dataset`` that evaluate at least one Fourier clone."""
    return [r for r in runs_on(cfg, dataset)
            if set(cfg["unet"]["runs"][r]["evaluation"]["sets"]) & set(FOURIER_CLONES)]


def clone_gaps_inputs(cfg: dict, results: str, dataset: str) -> dict:
    return {"gaps": [f"{run_dir(results, dataset, r)}/gaps.parquet" for r in fourier_runs(cfg, dataset)],
            "tracking": [f"{results}/fourier/{dataset}/tracking.parquet"]}


def clone_gaps_params(cfg: dict, dataset: str) -> dict:
    return {"z": cfg["fourier"]["tracking_z"], "sets": ["meancov", *cfg["fourier"]["clones"]]}


def examples_inputs(folder: str):
    def inputs(cfg: dict, results: str, dataset: str) -> dict:
        return {"examples": [f"{results}/{folder}/{dataset}/examples.parquet"]}
    return inputs


FIGURES = (
    Figure("clone_examples_{dataset}", "easy2hard.images.plots:clone_examples",
           examples_inputs("clones"), category="Images", wildcards={"dataset": DATASET_PATTERN}),
    Figure("clone_losses_{dataset}", "easy2hard.images.plots:clone_losses",
           runs_files("losses.parquet"), category="Images", wildcards={"dataset": DATASET_PATTERN}),
    Figure("samples_{dataset}", "easy2hard.images.plots:samples",
           runs_files("samples.parquet", with_samples=True), category="Images",
           params=lambda cfg, dataset: {"range": cfg["datasets"][dataset]["range"]},
           wildcards={"dataset": DATASET_PATTERN}),
    Figure("memorisation_{dataset}", "easy2hard.images.plots:memorisation",
           runs_files("memorisation.parquet", with_samples=True), category="Images",
           wildcards={"dataset": DATASET_PATTERN}),
    Figure("fourier_examples_{dataset}", "easy2hard.images.plots:clone_examples",
           examples_inputs("fourier"), category="Fourier", wildcards={"dataset": DATASET_PATTERN}),
    Figure("fourier_clone_gaps_{dataset}", "easy2hard.images.plots:clone_gaps",
           clone_gaps_inputs, params=clone_gaps_params, category="Fourier",
           wildcards={"dataset": DATASET_PATTERN}),
)


def of_dataset(cfg: dict, key: str | None = None):
    """A param of a dataset's rule: the config block of the job's dataset, or one key of it."""
    def value(wildcards):
        spec = cfg["datasets"][wildcards.dataset]
        return spec if key is None else spec[key]
    return value


def folder_aware_spec(cfg: dict):
    """The dataset job's ``spec``: the dataset's block (with a folder's fingerprint)."""
    from .folders import dataset_spec  # folders builds on this module

    return dataset_spec(cfg)


def clone_sampling(cfg: dict) -> dict:
    """How many clone images to draw, and from which seed (Gaussian and Fourier clones)."""
    return {"n": cfg["clones"]["n_samples"], "seed": cfg["clones"]["seed"]}


def clone_examples(cfg: dict) -> dict:
    """How many test images beside their clones, in the dataset's value range."""
    return {"k": cfg["clones"]["examples"], "range": of_dataset(cfg, "range")}


def of_run(part, cfg: dict):
    """A param of a U-Net rule: ``part`` of the run of the job's (dataset, run) wildcards."""
    def value(wildcards):
        return part(run_spec(cfg, wildcards.run, wildcards.dataset))
    return value


def unet_params(cfg: dict, *parts: str) -> dict:
    """The U-Net rules' params by name: the flat training dict (``spec``), the checkpoint
    ``steps``, the ``evaluation``, ``samples``, ``seeds`` or ``lockstep`` key of the job's run."""
    getters = {"spec": train_spec, "steps": steps, "evaluation": itemgetter("evaluation"),
               "samples": itemgetter("samples"), "seeds": itemgetter("seeds"),
               "lockstep": itemgetter("lockstep")}
    return {name: of_run(getters[name], cfg) for name in parts}


def model_spec(spec: dict) -> dict:
    """What the model table reads of a run: model, seeds and (where set) external."""
    return {k: spec[k] for k in ("model", "seeds", "external") if k in spec}


def unet_sample_params(cfg: dict) -> dict:
    return {**unet_params(cfg, "spec", "samples"), "range": of_dataset(cfg, "range"),
            "size": of_dataset(cfg, "size"), **device(cfg)}


JOBS = {
    "data_splits": lambda cfg: {"spec": folder_aware_spec(cfg), "root": cfg["datasets"]["root"]},
    "clones_sample": clone_sampling,
    "clones_twin": clone_sampling,
    "clones_examples": clone_examples,
    "unet_train": lambda cfg: {
        **unet_params(cfg, "spec", "steps", "seeds", "lockstep"),
        "weights_code": modules_hash(TRAINING_MODULE), **device(cfg)},
    "unet_evaluate": lambda cfg: {**unet_params(cfg, "spec", "evaluation"), **device(cfg)},
    "unet_evaluate_external": lambda cfg: {**unet_params(cfg, "spec", "evaluation"),
                                           **device(cfg),
                                           "external": external.evaluate_param(cfg)},
    "unet_reference": lambda cfg: unet_params(cfg, "spec", "evaluation"),
    "unet_sample": unet_sample_params,
    "unet_memorisation": lambda cfg: {"spec": of_run(lambda spec: spec, cfg)},
    "unet_model": lambda cfg: {**unet_params(cfg, "steps"), "spec": of_run(model_spec, cfg),
                               "channels": of_run(lambda spec: external.dataset_channels(
                                   cfg["datasets"][spec["dataset"]]), cfg)},
}

#: the evaluation sets the clone claims compare (the test set is always evaluated)
CLAIM_SETS = ("meancov", "amplitude_whitened", "amplitude", "phase")


def claim_run(cfg: dict, sets=CLAIM_SETS) -> tuple[str, str] | None:
    """(dataset, run) of the first run that evaluates ``sets`` with the Wiener reference."""
    for run, spec in cfg["unet"]["runs"].items():
        ev = spec["evaluation"]
        if set(sets) <= set(ev["sets"]) and "wiener" in ev["reference"]:
            return spec["dataset"], run
    return None


def claim_inputs(sets=CLAIM_SETS):
    def inputs(cfg: dict, results: str) -> dict:
        found = claim_run(cfg, sets)
        return {"losses": [f"{run_dir(results, *found)}/losses.parquet"],
                "model": [model_table(results, *found)]} if found else {}
    return inputs


def claim_settings(cfg: dict) -> dict:
    """The noise level the clone claims read: the run's smallest fixed k (where the review
    read them), or k uniform ("all") when it has none."""
    found = claim_run(cfg)
    fixed = cfg["unet"]["runs"][found[1]]["evaluation"]["fixed_k"] if found else []
    return {"t": str(min(fixed)) if fixed else "all"}


SEED_RULE = ("intervals over the run's training seeds (t below 8); fewer than 3 seeds is "
             "inconclusive; with one seed the estimate uses image-sampling intervals, reported only")
LEARNT = "the seed-mean test loss at the last checkpoint is below half that at the first"

CLAIMS = (
    Claim(id="images.gaussian_tracks_then_departs",
          statement="A diffusion network first learns the data's pair-wise statistics: its loss on "
                    "the Gaussian clone N(μ, Σ) tracks its test loss, then departs.",
          source="Ricci, Merger & Goldt (2026), abstract; docs/science.md §7",
          prediction="the meancov − test gap within its interval up to a step, then above 0 for "
                     "good and growing; the estimate is that step (lo: the last tracking checkpoint); "
                     + SEED_RULE,
          control="the Wiener (pair-wise optimal) gap on meancov, ≈ 0 for every affine denoiser "
                  "(image-sampling interval: the reference is not trained)",
          calibration=LEARNT, evaluate="easy2hard.images.claims:gaussian_tracks_then_departs",
          inputs=claim_inputs(), params=claim_settings, figure="clone_losses_natural_patches"),
    Claim(id="images.clone_order",
          statement="Beyond pair-wise statistics, one of the two higher-order parts is used "
                    "first: the phases (P = loss(amplitude_whitened) − loss(test)) or the per-image "
                    "amplitudes (A = loss(twin_amplitude_whitened) − loss(amplitude_whitened), "
                    "against the Gaussian twin N(μ, Σ) of amplitude_whitened; meancov where the "
                    "twin is not evaluated).",
          source="project criterion (issue: clone ordering); the paper does not order these two",
          prediction="P − A keeps one sign beyond its seed interval at the first checkpoint where "
                     "P or A is positive beyond its interval, ± one checkpoint (sign + : phases "
                     "first); otherwise inconclusive (never refuted); " + SEED_RULE,
          control="the Wiener denoiser's P − A (0 for any affine denoiser)",
          calibration=LEARNT, evaluate="easy2hard.images.claims:clone_order",
          inputs=claim_inputs(), params=claim_settings,
          figure="fourier_clone_gaps_natural_patches"),
    Claim(id="images.pairwise_first",
          statement="Before any higher-order departure, the U-Net's gaps on the clones that change "
                    "the covariance (amplitude, phase) move toward their Wiener (pair-wise) gaps.",
          source="Ricci, Merger & Goldt (2026), abstract ('amplitudes first' = power spectrum first)",
          prediction="Σ over amplitude, phase of |U-Net gap − Wiener gap| shrinks from the first "
                     "checkpoint to the last before P, A or the meancov gap is positive beyond its "
                     "interval; shrinkage > 0 beyond its seed interval; " + SEED_RULE,
          control="the change of the phase part P over the same checkpoints (a pair-wise learner "
                  "keeps it at 0)",
          calibration=LEARNT, evaluate="easy2hard.images.claims:pairwise_first",
          inputs=claim_inputs(), params=claim_settings,
          figure="fourier_clone_gaps_natural_patches"),
    Claim(id="images.unet_beats_wiener",
          statement="By the last step the U-Net reaches the pair-wise optimum: its test loss is "
                     "below the Wiener denoiser's at every evaluated k.",
          source="project calibration (docs/stages/images.md)",
          prediction="U-Net / Wiener test loss at the last step < 1 beyond its seed interval at "
                     "every k (estimate: the worst k); " + SEED_RULE,
          control="the Wiener denoiser fitted on the training subset (the ratio's denominator)",
          calibration="this claim is the calibration of the other image claims at high k",
          evaluate="easy2hard.images.claims:unet_beats_wiener", inputs=claim_inputs(()),
          params=claim_settings, figure="clone_losses_natural_patches"),
)

STAGE = Stage(name="images", targets=targets, check=check, figures=FIGURES, jobs=JOBS,
              claims=CLAIMS)
