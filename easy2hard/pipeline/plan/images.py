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
  unet/{dataset}/{run}/eval/share{share}.parquet         evaluation jobs: every seed at a share
                                                          of the checkpoints (eval_shares)
  unet/{dataset}/{run}/eval_cache/seed{seed}/             their per-checkpoint tables, keyed
                                                          (kept across reruns)
  unet/{dataset}/{run}/seed{seed}/eval/step{step}.parquet external checkpoints: one per step
  unet/{dataset}/{run}/seed{seed}/samples/step{step}.png  sample grids (first seed)
  unet/{dataset}/{run}/losses.parquet, samples.parquet    merged per run
  unet/{dataset}/{run}/gaps.parquet                       seed-mean gaps, U-Net and Wiener
  unet/{dataset}/{run}/memorisation.parquet               nearest-neighbour ratio per step
  figures/clone_examples_, clone_losses_, samples_, memorisation_{dataset}
                                                          (.pdf, .png; registered below)

The images stage (``images.enabled``) is every dataset of ``datasets.build`` (splits,
manifest), its Gaussian clones, and every U-Net run of ``unet.runs``: the settings live in the
``datasets``, ``clones`` and ``unet`` blocks. Other stages that read its files (the Fourier
clones, the linear stage's natural patches) need it on (``Stage.needs``).
"""

from __future__ import annotations

from operator import itemgetter

from ...core.lockstep_tables import checkpoint_steps
from ...fourier.names import CLONES as FOURIER_CLONES  # made by the fourier stage's rules
from ...images.clones import CLONES, TWIN_SOURCES
from ...images.datasets import DATASETS, SPLITS
from ..provenance import modules_hash
from ..unit_costs import unit
from . import external
from .common import device, figure_files, fill, path, pattern, per_job
from .stage import Claim, Cost, Figure, Job, Stage

#: the datasets' and clones' files (templates under the results root): one split of a
#: dataset and its manifest (rule data_splits), the test split's fitted mean and covariance
#: root (clones_fit), a clone set of the test split (clones_sample; the fourier stage's
#: clones share the folder), the examples table (clones_examples), a Gaussian twin (clones_twin)
SPLIT = "data/{dataset}/{split}.npy"
MANIFEST = "data/{dataset}/manifest.parquet"
CLONE_FIT = {"mu": "clones/{dataset}/mu.npy", "cov": "clones/{dataset}/cov.npy"}
CLONE = "clones/{dataset}/{clone}.npy"
CLONE_EXAMPLES = "clones/{dataset}/examples.parquet"
TWIN = "clones/{dataset}/twin_{source}.npy"


#: a U-Net run's files (templates under the results root): every seed's checkpoint states
#: (rule unet_train, seeds in lockstep), a seed's checkpoint folder (unet_checkpoints), its reference denoisers (unet_reference), an evaluation share of every seed
#: (unet_evaluate), a step of external checkpoints (unet_evaluate_external), a sample grid
#: and its table (unet_sample), and the run's merged tables
RUN = "unet/{dataset}/{run}"
RUN_STATES = RUN + "/SHA256SUMS"
CKPT = RUN + "/seed{seed}/ckpt"
REFERENCE = RUN + "/seed{seed}/reference.parquet"
EVAL_SHARE = RUN + "/eval/share{share}.parquet"
EVAL_STEP = RUN + "/seed{seed}/eval/step{step}.parquet"
SAMPLE = {"png": RUN + "/seed{seed}/samples/step{step}.png",
          "table": RUN + "/seed{seed}/samples/step{step}.parquet"}
LOSSES, SAMPLES = RUN + "/losses.parquet", RUN + "/samples.parquet"
GAPS, MEMORISATION, MODEL = RUN + "/gaps.parquet", RUN + "/memorisation.parquet", RUN + "/model.parquet"


def split_file(results: str, dataset: str, split: str) -> str:
    """One split (train, val or test) of a dataset."""
    return path(results, SPLIT, dataset=dataset, split=split)


def splits(results: str, dataset: str, *names: str) -> dict:
    """``{split: file}`` of a dataset's splits ``names`` (all three without names)."""
    return {s: split_file(results, dataset, s) for s in names or SPLITS}


def clone_file(results: str, dataset: str, clone: str) -> str:
    """One clone set of a dataset's test split (Gaussian, Fourier or a twin's name)."""
    return path(results, CLONE, dataset=dataset, clone=clone)


#: the module whose code, with its imports, makes the U-Net weights (in the resume fingerprint)
TRAINING_MODULE = "easy2hard.images.lockstep"
#: the module whose code, with its imports, makes an evaluation table (in its cache key)
EVALUATION_MODULE = "easy2hard.images.share_evaluation"

#: the wildcard constraints of dataset names, Gaussian and Fourier clone sets
DATASET_PATTERN = pattern(DATASETS)
CLONE_PATTERN = pattern(CLONES)
TWIN_SOURCE_PATTERN = pattern(TWIN_SOURCES)


def twin_source_file(results: str, dataset: str, source: str) -> str:
    """The images a Gaussian twin is fitted on: the train split, or a Fourier clone."""
    if source == "train":
        return split_file(results, dataset, "train")
    return clone_file(results, dataset, source)
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


def evenly_picked(all_steps: list[int], count: int) -> list[int]:
    """``count`` of ``all_steps`` evenly spaced in the list, last included (all when fewer)."""
    if count <= 0:
        return []
    if count == 1:
        return [all_steps[-1]]
    picks = {round(i * (len(all_steps) - 1) / (count - 1)) for i in range(count)}
    return [all_steps[i] for i in sorted(picks)]


def sample_steps(spec: dict) -> list[int]:
    """``samples.checkpoints`` checkpoints evenly spaced in the checkpoint list, last included."""
    if external.is_external(spec):  # no samples of external checkpoints
        return []
    return evenly_picked(steps(spec), spec["samples"]["checkpoints"])


def step_ks(spec: dict) -> dict[int, list[int]]:
    """The fixed k evaluated at each checkpoint step: ``evaluation.fixed_k`` at every one,
    and ``evaluation.sparse_fixed_k`` too at ``evaluation.sparse_checkpoints`` of them
    (evenly spaced in the checkpoint list, last included)."""
    ev, all_steps = spec["evaluation"], steps(spec)
    sparse = set(evenly_picked(all_steps, ev["sparse_checkpoints"]))
    return {s: sorted(set(ev["fixed_k"]) | set(ev["sparse_fixed_k"] if s in sparse else ()))
            for s in all_steps}


def all_fixed_k(ev: dict) -> list[int]:
    """Every fixed k an ``evaluation`` block evaluates at some checkpoint (the reference
    denoisers' levels)."""
    return sorted(set(ev["fixed_k"]) | set(ev["sparse_fixed_k"]))


def eval_shares(spec: dict) -> list[list[int]]:
    """The checkpoint steps of each evaluation job of a trained run (every seed in one job):
    ``evaluation.jobs`` shares at most, checkpoint i of the list in share i mod jobs."""
    all_steps = steps(spec)
    n = min(spec["evaluation"]["jobs"], len(all_steps))
    return [all_steps[j::n] for j in range(n)]


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
    return path(results, RUN, dataset=dataset, run=run)


def run_file(results: str, template: str, dataset: str, run: str, **more) -> str:
    """One of a run's files (``LOSSES``, ``GAPS``, ``CKPT`` with its seed, ...)."""
    return path(results, template, dataset=dataset, run=run, **more)


def eval_share_table(results: str, dataset: str, run: str, share) -> str:
    return run_file(results, EVAL_SHARE, dataset, run, share=share)


def eval_tables(cfg: dict, results: str, dataset: str, run: str) -> list[str]:
    """The run's evaluation tables: one per share of its checkpoints (every seed), or one per
    (seed, step) for external checkpoints."""
    spec = run_spec(cfg, run, dataset)
    if external.is_external(spec):
        return [run_file(results, EVAL_STEP, dataset, run, seed=seed, step=step)
                for seed in spec["seeds"] for step in steps(spec)]
    return [eval_share_table(results, dataset, run, j) for j in range(len(eval_shares(spec)))]


def sample_tables(cfg: dict, results: str, dataset: str, run: str) -> list[str]:
    spec = run_spec(cfg, run, dataset)
    return [run_file(results, SAMPLE["table"], dataset, run, seed=spec["seeds"][0], step=step)
            for step in sample_steps(spec)]


def set_files(cfg: dict, results: str, dataset: str, run: str) -> dict:
    """The images of every evaluation set of ``run`` (test and train always)."""
    spec = run_spec(cfg, run, dataset)
    files = {s: clone_file(results, dataset, s) for s in spec["evaluation"]["sets"]}
    return {**files, **splits(results, dataset, "test", "train")}


def run_manifest(results: str, dataset: str, run: str) -> str:
    """The run's training job output: the SHA-256 of every seed's checkpoint states."""
    return run_file(results, RUN_STATES, dataset, run)


def reference_table(results: str, dataset: str, run: str, seed) -> str:
    return run_file(results, REFERENCE, dataset, run, seed=seed)


def eval_inputs(cfg: dict, results: str, dataset: str, run: str, seed, step=None) -> dict:
    """Checkpoints (the training job's folder, or the external model folder of ``step``),
    sets and (when the run lists reference denoisers) their losses."""
    spec = run_spec(cfg, run, dataset)
    ckpt = (external.model_files(spec, step) if external.is_external(spec) else
            {"ckpt": run_file(results, CKPT, dataset, run, seed=seed)})
    out = {**ckpt, **set_files(cfg, results, dataset, run)}
    if spec["evaluation"]["reference"]:
        out["reference"] = reference_table(results, dataset, run, seed)
    return out


def share_inputs(cfg: dict, results: str, dataset: str, run: str) -> dict:
    """Inputs of an evaluation job of a trained run: every seed's checkpoint folder and
    reference table (lists in seed order) and the sets."""
    spec = run_spec(cfg, run, dataset)
    out = {"ckpt": [run_file(results, CKPT, dataset, run, seed=seed) for seed in spec["seeds"]],
           **set_files(cfg, results, dataset, run)}
    if spec["evaluation"]["reference"]:
        out["reference"] = [reference_table(results, dataset, run, seed) for seed in spec["seeds"]]
    return out


def memorisation_inputs(cfg: dict, results: str, dataset: str, run: str) -> dict:
    return {"samples": run_file(results, SAMPLES, dataset, run),
            **splits(results, dataset, "train", "test")}


def model_table(results: str, dataset: str, run: str) -> str:
    """The run's data and model in one row (easy2hard.images.description)."""
    return run_file(results, MODEL, dataset, run)


def unet_targets(cfg: dict, results: str) -> list[str]:
    out = []
    for dataset in datasets(cfg):
        for run in runs_on(cfg, dataset):
            out += [run_file(results, t, dataset, run) for t in (LOSSES, MODEL, GAPS)]
        out += figure_files(results, f"clone_losses_{dataset}")
        if runs_on(cfg, dataset, with_samples=True):
            out += figure_files(results, f"samples_{dataset}")
            out += figure_files(results, f"memorisation_{dataset}")
    return out


def targets(cfg: dict, results: str) -> list[str]:
    """Each built dataset's manifest, clones and clone figure; every U-Net run's tables."""
    out = []
    for dataset in cfg["datasets"]["build"]:
        out.append(path(results, MANIFEST, dataset=dataset))
        out += [clone_file(results, dataset, clone) for clone in CLONES]
        out += figure_files(results, f"clone_examples_{dataset}")
    return out + unet_targets(cfg, results)


def needs(cfg: dict) -> dict:
    """A U-Net run that evaluates a Fourier clone, or the Gaussian twin of one, reads the
    fourier stage's clones (rule fourier_clone)."""
    fourier_sets = {*FOURIER_CLONES, *(f"twin_{c}" for c in FOURIER_CLONES)}
    runs = [run for run, spec in cfg["unet"]["runs"].items()
            if fourier_sets & set(spec["evaluation"]["sets"])]
    return {"fourier": f"unet.runs.{runs[0]}.evaluation.sets"} if runs else {}


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
    """Every fixed k (``fixed_k``, ``sparse_fixed_k``) is a step of the DDPM schedule."""
    T, out = spec["ddpm"]["T"], []
    for key in ("fixed_k", "sparse_fixed_k"):
        bad = [k for k in spec["evaluation"][key] if k >= T]
        out += [f"config key 'unet.runs.{run}.evaluation.{key}': step(s) {bad} do not exist with "
                f"ddpm.T = {T}; allowed: integers 0 <= k <= {T - 1}"] if bad else []
    return out


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


def runs_files(template: str, with_samples: bool = False):
    """Inputs of a figure that reads one file (``LOSSES``, ...) of every run on the dataset,
    under the file's stem."""
    def inputs(cfg: dict, results: str, dataset: str) -> dict:
        return {template.rsplit("/", 1)[1].split(".")[0]: [
            run_file(results, template, dataset, run) for run in runs_on(cfg, dataset, with_samples)]}
    return inputs


FIGURES = (
    Figure("clone_examples_{dataset}", "easy2hard.images.plots:clone_examples",
           lambda cfg, results, dataset: {"examples": [path(results, CLONE_EXAMPLES, dataset=dataset)]},
           category="Images", wildcards={"dataset": DATASET_PATTERN}),
    Figure("clone_losses_{dataset}", "easy2hard.images.plots:clone_losses",
           runs_files(LOSSES), category="Images", wildcards={"dataset": DATASET_PATTERN}),
    Figure("samples_{dataset}", "easy2hard.images.plots:samples",
           runs_files(SAMPLES, with_samples=True), category="Images",
           params=lambda cfg, dataset: {"range": cfg["datasets"][dataset]["range"]},
           wildcards={"dataset": DATASET_PATTERN}),
    Figure("memorisation_{dataset}", "easy2hard.images.plots:memorisation",
           runs_files(MEMORISATION, with_samples=True), category="Images",
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


def share_ks(cfg: dict, dataset: str, run: str, share: str) -> dict[int, list[int]]:
    """{step: its fixed k} of the checkpoints of evaluation job ``share`` of a run."""
    spec = run_spec(cfg, run, dataset)
    ks = step_ks(spec)
    return {step: ks[step] for step in eval_shares(spec)[int(share)]}


def unet_sample_params(cfg: dict) -> dict:
    return {**unet_params(cfg, "spec", "samples"), "range": of_dataset(cfg, "range"),
            "size": of_dataset(cfg, "size"), **device(cfg)}


def dataset_wildcards(cfg: dict, **more: str) -> dict:
    """The dataset wildcard's constraint (built-in names and the config's folder datasets, as
    ``folders.admit`` sets it for the rule files) and ``more``."""
    from .folders import folder_datasets  # folders builds on this module

    return {"dataset": pattern([*DATASETS, *folder_datasets(cfg)]), **more}


def clone_fit_inputs(cfg: dict, results: str, dataset: str) -> dict:
    return splits(results, dataset, "test")


def clone_sample_inputs(cfg: dict, results: str, dataset: str, clone: str = "") -> dict:
    """The test split's fitted mean and covariance root, and the test split."""
    fit = {k: path(results, t, dataset=dataset) for k, t in CLONE_FIT.items()}
    return {**fit, **splits(results, dataset, "test")}


def clone_examples_inputs(cfg: dict, results: str, dataset: str) -> dict:
    """Every Gaussian clone and the test split."""
    clones = {c: clone_file(results, dataset, c) for c in CLONES}
    return {**clones, **splits(results, dataset, "test")}


def start_only(key: str):
    """The cost of a job whose work is its start (reads and writes of a few tables)."""
    return lambda cfg, **wildcards: Cost(0.0, key)


def _dataset_cost(cfg: dict, dataset: str) -> Cost:
    return Cost(unit("dataset_build"), f"datasets.{dataset}", "splits from local files")


def _twin_cost(cfg: dict, dataset: str, source: str) -> Cost:
    return Cost(unit("gaussian_twin"), "clones.n_samples", f"twin of {source}")


DATA_JOBS = {
    "data_splits": Job(
        outputs={**{s: fill(SPLIT, split=s) for s in SPLITS}, "manifest": MANIFEST},
        params=lambda cfg: {"spec": folder_aware_spec(cfg), "root": cfg["datasets"]["root"]},
        cost=_dataset_cost, wildcards=dataset_wildcards),
    "clones_fit": Job(outputs=dict(CLONE_FIT), inputs=clone_fit_inputs,
                      cost=start_only("clones"), wildcards=dataset_wildcards),
    "clones_sample": Job(
        outputs={"clone": CLONE}, inputs=clone_sample_inputs, params=clone_sampling,
        cost=start_only("clones.n_samples"),
        wildcards=lambda cfg: dataset_wildcards(cfg, clone=CLONE_PATTERN)),
    "clones_twin": Job(
        outputs={"twin": TWIN}, params=clone_sampling, cost=_twin_cost,
        inputs=lambda cfg, results, dataset, source: {
            "source": twin_source_file(results, dataset, source)},
        wildcards=lambda cfg: dataset_wildcards(cfg, source=TWIN_SOURCE_PATTERN)),
    "clones_examples": Job(
        outputs={"examples": CLONE_EXAMPLES}, inputs=clone_examples_inputs,
        params=clone_examples, cost=start_only("clones.examples"), wildcards=dataset_wildcards),
}

def model_scale(spec: dict) -> float:
    """A run's U-Net size against the default's (base 8, depth 3): (base / 8)² x depth / 3."""
    model = spec["model"]
    return (model["base_channels"] / 8) ** 2 * model["depth"] / 3


def image_pixels(cfg: dict, spec: dict) -> int:
    return cfg["datasets"][spec["dataset"]]["size"] ** 2


def level_seconds(cfg: dict, spec: dict) -> float:
    """One noise level of a clone-loss evaluation: every set (test included) x n_images."""
    ev = spec["evaluation"]
    return (ev["n_images"] * len({"test", *ev["sets"]}) * model_scale(spec)
            * unit("unet_eval_image"))


def evaluate_cost(cfg: dict, dataset: str, run: str, share: str) -> Cost:
    """Every seed at each checkpoint of the share: k uniform and the step's fixed k."""
    spec = run_spec(cfg, run, dataset)
    ks = step_ks(spec)
    chosen = eval_shares(spec)[int(share)]
    levels = len(spec["seeds"]) * sum(1 + len(ks[step]) for step in chosen)
    return Cost(unit("torch_start") + levels * level_seconds(cfg, spec),
                f"unet.runs.{run}.evaluation",
                f"{len(spec['seeds'])} seeds x {len(chosen)} checkpoints, {levels} levels", True)


def evaluate_external_cost(cfg: dict, dataset: str, run: str, seed: str, step: str) -> Cost:
    spec = run_spec(cfg, run, dataset)
    levels = 1 + len(step_ks(spec)[int(step)])
    return Cost(unit("torch_start") + levels * level_seconds(cfg, spec),
                f"unet.runs.{run}.evaluation", f"{levels} levels", True)


def reference_cost(cfg: dict, dataset: str, run: str, seed: str) -> Cost:
    """The empirical optimum on every set and level: images x training images x pixels."""
    spec = run_spec(cfg, run, dataset)
    ev = spec["evaluation"]
    levels = 1 + len(all_fixed_k(ev))
    work = (ev["n_images"] * len({"test", *ev["sets"]}) * levels
            * spec["training"]["train_subset"] * image_pixels(cfg, spec))
    return Cost(unit("torch_start") + work * unit("reference_flop"),
                f"unet.runs.{run}.evaluation", f"{levels} levels of every set")


def sample_cost(cfg: dict, dataset: str, run: str, seed: str, step: str) -> Cost:
    """n samples x T reverse steps of the U-Net."""
    spec = run_spec(cfg, run, dataset)
    n, T = spec["samples"]["n"], spec["ddpm"]["T"]
    work = n * T * image_pixels(cfg, spec) * model_scale(spec)
    return Cost(unit("torch_start") + work * unit("unet_sample_pixel"),
                f"unet.runs.{run}.samples", f"{n} samples x {T} steps", True)


def run_table_cost(key: str, start: str = "small_job"):
    """A job that reads and writes a run's tables (its start, and torch's where it loads it)."""
    return lambda cfg, dataset, run, **wc: Cost(unit(start), f"unet.runs.{run}.{key}")


def _run_wildcards(external_runs: bool | None = None, **more: str):
    """The dataset and run constraints of a U-Net rule (trained or external runs only)."""
    def wildcards(cfg: dict) -> dict:
        out = dataset_wildcards(cfg, **more)
        if external_runs is not None:
            out["run"] = external.run_pattern(cfg, external=external_runs)
        return out
    return wildcards


def train_cost(cfg: dict, dataset: str, run: str) -> Cost:
    """steps x batch x pixels of every seed, at the lockstep factor when the seeds train
    together (a paper model with ``lockstep`` and more than one seed)."""
    spec = run_spec(cfg, run, dataset)
    tr, seeds = spec["training"], spec["seeds"]
    together = spec["lockstep"] and spec["model"]["kind"] == "paper" and len(seeds) > 1
    work = tr["steps"] * tr["batch"] * image_pixels(cfg, spec) * model_scale(spec) * len(seeds)
    return Cost(unit("torch_start") + work * unit("unet_pixel")
                * (unit("unet_lockstep") if together else 1.0), f"unet.runs.{run}.training",
                f"{tr['steps']} steps x {tr['batch']} x {len(seeds)} seeds", True)


UNET_JOBS = {
    "unet_train": Job(
        outputs={"states": RUN_STATES}, cost=train_cost, wildcards=_run_wildcards(False),
        inputs=lambda cfg, results, dataset, run: splits(results, dataset, "train"),
        params=lambda cfg: {**unet_params(cfg, "spec", "steps", "seeds", "lockstep"),
                            "weights_code": modules_hash(TRAINING_MODULE), **device(cfg)}),
    "unet_checkpoints": Job(
        outputs={"ckpt": CKPT}, cost=run_table_cost("training", "job_start"),
        wildcards=_run_wildcards(False),
        inputs=lambda cfg, results, dataset, run, seed: {
            "states": run_manifest(results, dataset, run)}),
    "unet_evaluate": Job(
        outputs={"table": EVAL_SHARE}, cost=evaluate_cost,
        inputs=lambda cfg, results, dataset, run, share: share_inputs(cfg, results, dataset, run),
        wildcards=_run_wildcards(False, share="[0-9]+"),
        params=lambda cfg: {
            **unet_params(cfg, "spec", "evaluation", "seeds"),
            "steps_ks": per_job(share_ks, cfg, "dataset", "run", "share"),
            "cache_dir": f"{run_dir(cfg['results_dir'], '{dataset}', '{run}')}/eval_cache",
            "evaluation_code": modules_hash(EVALUATION_MODULE), **device(cfg)}),
    "unet_evaluate_external": Job(
        outputs={"table": EVAL_STEP}, cost=evaluate_external_cost, inputs=eval_inputs,
        wildcards=_run_wildcards(True),
        params=lambda cfg: {**unet_params(cfg, "spec", "evaluation"), **device(cfg),
                            "external": external.evaluate_param(cfg)}),
    "unet_reference": Job(
        outputs={"table": REFERENCE}, cost=reference_cost, wildcards=_run_wildcards(),
        inputs=lambda cfg, results, dataset, run, seed: set_files(cfg, results, dataset, run),
        params=lambda cfg: {**unet_params(cfg, "spec", "evaluation"), "fixed_k": of_run(
            lambda spec: all_fixed_k(spec["evaluation"]), cfg)}),
    "unet_losses": Job(
        outputs={"table": LOSSES}, cost=run_table_cost("evaluation"), wildcards=_run_wildcards(),
        inputs=lambda cfg, results, dataset, run: {
            "tables": eval_tables(cfg, results, dataset, run)}),
    "unet_sample": Job(
        outputs=dict(SAMPLE), cost=sample_cost, params=unet_sample_params,
        wildcards=_run_wildcards(),
        inputs=lambda cfg, results, dataset, run, seed, step: {
            "ckpt": run_file(results, CKPT, dataset, run, seed=seed)}),
    "unet_samples": Job(
        outputs={"table": SAMPLES}, cost=run_table_cost("samples"), wildcards=_run_wildcards(),
        inputs=lambda cfg, results, dataset, run: {
            "tables": sample_tables(cfg, results, dataset, run)}),
    "unet_gaps": Job(
        outputs={"table": GAPS}, cost=run_table_cost("evaluation"), wildcards=_run_wildcards(),
        inputs=lambda cfg, results, dataset, run: {
            "losses": run_file(results, LOSSES, dataset, run)}),
    "unet_memorisation": Job(
        outputs={"table": MEMORISATION}, cost=run_table_cost("samples", "torch_start"),
        inputs=memorisation_inputs, wildcards=_run_wildcards(),
        params=lambda cfg: {"spec": of_run(lambda spec: spec, cfg)}),
    "unet_model": Job(
        outputs={"table": MODEL}, cost=run_table_cost("model", "torch_start"),
        wildcards=_run_wildcards(),
        params=lambda cfg: {**unet_params(cfg, "steps"), "spec": of_run(model_spec, cfg),
                            "channels": of_run(lambda spec: external.dataset_channels(
                                cfg["datasets"][spec["dataset"]]), cfg)}),
}

JOBS = {
    **DATA_JOBS,
    **UNET_JOBS,
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
        return {"losses": [run_file(results, LOSSES, *found)],
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
          prediction="P − A beyond its seed interval with one sign at every deciding checkpoint: "
                     "the first checkpoint where P or A is positive beyond its interval, ± one "
                     "checkpoint (sign + : phases first); otherwise inconclusive (never refuted); "
                     + SEED_RULE,
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
                     "every k, each k stated with its own verdict (estimate: the worst k); a k not "
                     "evaluated at the last step is censored (neither supports nor refutes); "
                     + SEED_RULE,
          control="the Wiener denoiser fitted on the training subset (the ratio's denominator)",
          calibration="this claim is the calibration of the other image claims at high k",
          evaluate="easy2hard.images.claims:unet_beats_wiener", inputs=claim_inputs(()),
          params=claim_settings, figure="clone_losses_natural_patches"),
)

STAGE = Stage(name="images", targets=targets, check=check, needs=needs, figures=FIGURES,
              jobs=JOBS, claims=CLAIMS)
