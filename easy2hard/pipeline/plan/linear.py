"""Plan of the linear stage (docs/science.md §10; here N = training samples, d = dimension).

Outputs, under ``results`` (the path constants below, one per output):
  PATCHES       natural patches reduced to d pixels: the training pool and the held-out set
  CLOSED_FORM   closed forms of one (target, d): N, seed, ridge, τ, sampler
  TRAINED       Adam / SGD training against the closed forms
  SAMPLES       DDPM samples of N < d, N ≈ d, N >> d models
  HIERARCHY     ridge and early-stopping paths per exponent α
  NONLINEAR     MLP against linear denoisers on patches
  figures       drawn by easy2hard.linear.plots (STAGE.figures)
"""

from __future__ import annotations

import math

from ...linear.names import GAUSSIAN, NON_GAUSSIAN, TARGETS, sizes
from ..unit_costs import unit
from . import images
from .common import device, figure_files, path, pattern, per_job, pick
from .stage import Claim, Cost, Figure, Job, Stage

#: the wildcard constraint of the target names
TARGET_PATTERN = pattern(TARGETS)
#: the reduced natural patches of one d: the training pool and the held-out set
PATCHES = {"pool": "linear/patches/d{d}/pool.npy", "heldout": "linear/patches/d{d}/heldout.npy"}
CLOSED_FORM = "linear/closed_form/{target}/d{d}.parquet"
TRAINED = "linear/trained/{target}/d{d}.parquet"
SAMPLES = "linear/samples/natural_patches_d{d}.parquet"
HIERARCHY = "linear/hierarchy/d{d}.parquet"
NONLINEAR = "linear/nonlinear/natural_patches_d{d}.parquet"
#: the splits of the natural_patches dataset that the patches are reduced from
SPLITS = ("train", "val", "test")


def closed_form_tables(cfg: dict, results: str) -> list[str]:
    lin = cfg["linear"]
    return [path(results, CLOSED_FORM, target=t, d=d) for t in lin["targets"] for d in lin["d"]]


def trained_tables(cfg: dict, results: str) -> list[str]:
    tr = cfg["linear"]["trained"]
    return [path(results, TRAINED, target=t, d=d) for t in tr["targets"] for d in tr["d"]]


def samples_table(cfg: dict, results: str) -> list[str]:
    sp = cfg["linear"]["samples"]
    return [path(results, SAMPLES, d=sp["d"])] if sp["N_over_d"] else []


def regularisation_table(cfg: dict, results: str) -> str:
    fig = cfg["linear"]["figures"]["regularisation"]
    return path(results, CLOSED_FORM, target=fig["target"], d=fig["d"])


def non_gaussian_tables(cfg: dict, results: str) -> list[str]:
    """The closed-form tables of the non-Gaussian laws and of their Gaussian control
    (power_law, the same covariance); empty without a non-Gaussian target."""
    lin = cfg["linear"]
    names = [t for t in lin["targets"] if t in NON_GAUSSIAN]
    if not names:
        return []
    names = (["power_law"] if "power_law" in lin["targets"] else []) + names
    return [path(results, CLOSED_FORM, target=t, d=d) for t in names for d in lin["d"]]


def hierarchy_tables(cfg: dict, results: str) -> list[str]:
    return [path(results, HIERARCHY, d=d) for d in cfg["linear"]["hierarchy"]["d"]]


def nonlinear_tables(cfg: dict, results: str) -> list[str]:
    return [path(results, NONLINEAR, d=d) for d in cfg["linear"]["nonlinear"]["d"]]


def hierarchy_inputs(d, cfg: dict, results: str) -> dict:
    """The reduced patches the hierarchy sweep reads (when it includes patches)."""
    return cell_inputs("natural_patches", d, results) if cfg["linear"]["hierarchy"]["patches"] else {}


def hierarchy_spec(cfg: dict) -> dict:
    lin = cfg["linear"]
    spec = {k: v for k, v in lin["hierarchy"].items() if k != "d"}
    return {**spec, "ddpm": lin["ddpm"], "normalise_trace": lin["natural_patches"]["normalise_trace"]}


def nonlinear_spec(cfg: dict) -> dict:
    lin = cfg["linear"]
    spec = {k: v for k, v in lin["nonlinear"].items() if k != "d"}
    return {**spec, "ddpm": lin["ddpm"], "normalise_trace": lin["natural_patches"]["normalise_trace"]}


def cell_inputs(target: str, d, results: str) -> dict:
    """The reduced patches a natural_patches cell reads; nothing for Gaussian targets."""
    if target != "natural_patches":
        return {}
    return {k: path(results, t, d=d) for k, t in PATCHES.items()}


def cell_spec(cfg: dict, target: str) -> dict:
    """What a closed-form cell's table depends on (the d and target lists only add cells)."""
    lin = cfg["linear"]
    spec = pick(lin, "N_over_d", "seeds", "ridge", "times", "samplers", "ddpm")
    return {**spec, **_target_keys(lin, target), "mc_samples": lin["mc_samples"],
            "ideal_reps": lin["ideal_reps"]}


def _target_keys(lin: dict, target: str) -> dict:
    """The keys that define a target besides its name."""
    if target == "natural_patches":
        return {"normalise_trace": lin["natural_patches"]["normalise_trace"]}
    out = {}
    if target in ("power_law", *NON_GAUSSIAN):
        out["power_law_exponent"] = lin["power_law_exponent"]
    if target == "student_t":
        out["student_t_dof"] = lin["student_t_dof"]
    return out


def trained_spec(cfg: dict, target: str) -> dict:
    tr = dict(cfg["linear"]["trained"])
    del tr["targets"], tr["d"]
    return {**tr, **_target_keys(cfg["linear"], target)}


def _tables(fn, group: str = "tables"):
    return lambda cfg, results: {group: fn(cfg, results)}


def _sampler(cfg: dict) -> dict:
    return {"sampler": cfg["linear"]["figures"]["sampler"]}


def _figure(name: str, inputs, params=None) -> Figure:
    kw = {"params": params} if params else {}
    return Figure(name, f"easy2hard.linear.plots:{name.removeprefix('linear_')}", inputs,
                  category="Linear diffusion", **kw)


FIGURES = (
    _figure("linear_kl", _tables(closed_form_tables), _sampler),
    _figure("linear_test_error", _tables(closed_form_tables)),
    _figure("linear_regularisation", _tables(lambda c, r: [regularisation_table(c, r)]), _sampler),
    _figure("linear_samples", _tables(samples_table)),
    _figure("linear_trained", _tables(trained_tables)),
    _figure("linear_hierarchy", _tables(hierarchy_tables)),
    _figure("linear_non_gaussian", _tables(non_gaussian_tables)),
    _figure("linear_nonlinear", _tables(nonlinear_tables)),
)


def targets(cfg: dict, results: str) -> list[str]:
    """Every table of the stage and every figure whose tables are asked for."""
    if not cfg["linear"]["targets"]:
        return []
    out = (closed_form_tables(cfg, results) + trained_tables(cfg, results)
           + samples_table(cfg, results) + hierarchy_tables(cfg, results)
           + nonlinear_tables(cfg, results))
    for fig in FIGURES:
        if all(fig.inputs(cfg, results).values()):
            out += figure_files(results, fig.name)
    return out


def _cells(cfg: dict) -> list[tuple[str, int, list, bool]]:
    """(config key, d, N_over_d, uses natural patches) of every part of the stage."""
    lin = cfg["linear"]
    tr, sp = lin["trained"], lin["samples"]
    out = [("linear", d, lin["N_over_d"], "natural_patches" in lin["targets"]) for d in lin["d"]]
    out += [("linear.trained", d, tr["N_over_d"], "natural_patches" in tr["targets"]) for d in tr["d"]]
    if sp["N_over_d"]:
        out.append(("linear.samples", sp["d"], sp["N_over_d"], True))
    hi, nl = lin["hierarchy"], lin["nonlinear"]
    out += [("linear.hierarchy", d, hi["N_over_d"], hi["patches"]) for d in hi["d"]]
    out += [("linear.nonlinear", d, nl["N_over_d"], True) for d in nl["d"]]
    return out


#: the key that makes each part of the stage (``_cells``) read natural patches
PATCH_KEYS = {"linear": "linear.targets", "linear.trained": "linear.trained.targets",
              "linear.samples": "linear.samples.N_over_d",
              "linear.hierarchy": "linear.hierarchy.patches", "linear.nonlinear": "linear.nonlinear.d"}


def needs(cfg: dict) -> dict:
    """The natural patches are the dataset splits of the images stage (rule data_splits):
    every part of the stage that reads them needs images."""
    if not cfg["linear"]["targets"]:
        return {}
    keys = [PATCH_KEYS[key] for key, _d, _ratios, patches in _cells(cfg) if patches]
    return {"images": keys[0]} if keys else {}


def check(cfg: dict) -> list[str]:
    """Patch sizes fit the dataset, every N is at least 2 (and at most the training split
    for patches), and the figures name computed cells."""
    lin, out = cfg["linear"], []
    if not lin["targets"]:
        return out
    spec = cfg["datasets"]["natural_patches"]
    room = spec["size"] // lin["natural_patches"]["downsample"]
    for key, d, ratios, patches in _cells(cfg):
        side, Ns = math.isqrt(d), [round(r * d) for r in ratios]
        if patches and (side * side != d or side > room):
            out.append(f"config key '{key}.d': d = {d} is not side² with side <= {room} (patch "
                       f"size {spec['size']} / downsample {lin['natural_patches']['downsample']}); "
                       f"allowed: squares of 1..{room}")
        if Ns and min(Ns) < 2:
            out.append(f"config key '{key}.N_over_d': N = round(N_over_d * d) = {min(Ns)} at "
                       f"d = {d}; allowed: N >= 2")
        if patches and Ns and max(Ns) > spec["counts"]["train"]:
            out.append(f"config key '{key}.N_over_d': N = {max(Ns)} at d = {d} exceeds the "
                       f"{spec['counts']['train']} natural_patches training patches; allowed: "
                       f"N <= datasets.natural_patches.counts.train")
    reg = lin["figures"]["regularisation"]
    if reg["target"] not in lin["targets"] or reg["d"] not in lin["d"]:
        out.append(f"config key 'linear.figures.regularisation': ({reg['target']}, d = {reg['d']}) "
                   f"is not a computed cell; allowed: a target of linear.targets and a d of linear.d")
    if lin["figures"]["sampler"] not in lin["samplers"]:
        out.append(f"config key 'linear.figures.sampler': {lin['figures']['sampler']!r} is not "
                   f"computed; allowed: one of {lin['samplers']}")
    held = spec["counts"]["val"] + spec["counts"]["test"]
    if lin["nonlinear"]["d"] and lin["nonlinear"]["samples"] >= held:
        out.append(f"config key 'linear.nonlinear.samples': {lin['nonlinear']['samples']} leaves no "
                   f"held-out reference patches of the {held}; allowed: fewer than "
                   f"datasets.natural_patches.counts.val + test")
    return out


def samples_spec(cfg: dict) -> dict:
    """What the samples table depends on: its N list, n, ridge, seed and the schedule."""
    lin = cfg["linear"]
    return {**pick(lin["samples"], "N_over_d", "n", "ridge", "seed"), "ddpm": lin["ddpm"],
            "normalise_trace": lin["natural_patches"]["normalise_trace"]}


def patches_inputs(cfg: dict, results: str, d: str) -> dict:
    """The natural_patches splits (the images stage's rule data_splits)."""
    return {split: images.split_file(results, "natural_patches", split) for split in SPLITS}


def linear_fit(d: int) -> float:
    """Seconds of one (N, seed) fit: its d³ decomposition and its evaluation over the grid."""
    return unit("linear_fit") + d ** 3 * unit("linear_cell")


def closed_form_cost(cfg: dict, target: str, d: str) -> Cost:
    """One fit per (N, seed) (``linear_fit``); a non-Gaussian law also draws
    ``ideal_reps`` training sets of every N > d for its ideal-sampler KL (N d² each)."""
    lin, d = cfg["linear"], int(d)
    fits = len(sizes(d, lin["N_over_d"])) * len(lin["seeds"])
    seconds = unit("torch_start") + fits * linear_fit(d)
    if target in NON_GAUSSIAN:
        draws = lin["ideal_reps"] * sum(N for N in sizes(d, lin["N_over_d"]) if N > d)
        seconds += draws * d ** 2 * unit("linear_ideal_draw")
    return Cost(seconds, "linear.d", f"{fits} fits of d = {d}")


def trained_cost(cfg: dict, target: str, d: str) -> Cost:
    """The lockstep steps of each optimiser (every run of the cell at once)."""
    tr = cfg["linear"]["trained"]
    steps = sum(tr[opt]["steps"] for opt in tr["optimizers"])
    return Cost(unit("torch_start") + steps * unit("linear_step"), "linear.trained",
                f"{steps} lockstep steps at d = {d}")


def samples_cost(cfg: dict, d: str) -> Cost:
    """n DDPM samples of each N's model, T steps of a d x d map."""
    lin, sp = cfg["linear"], cfg["linear"]["samples"]
    work = len(sp["N_over_d"]) * sp["n"] * lin["ddpm"]["T"] * int(d) ** 2
    return Cost(unit("torch_start") + work * unit("linear_sample_flop"), "linear.samples",
                f"{len(sp['N_over_d'])} N x {sp['n']} samples x {lin['ddpm']['T']} steps")


def hierarchy_cost(cfg: dict, d: str) -> Cost:
    """As a closed form: one fit per (exponent, N, seed) (``linear_fit``)."""
    hi = cfg["linear"]["hierarchy"]
    fits = len(hi["exponents"]) * len(sizes(int(d), hi["N_over_d"])) * len(hi["seeds"])
    return Cost(unit("torch_start") + fits * linear_fit(int(d)),
                "linear.hierarchy", f"{fits} fits of d = {d}")


def nonlinear_cost(cfg: dict, d: str) -> Cost:
    """Every (N, seed) MLP trained in lockstep: runs x steps x batch x d x width."""
    nl = cfg["linear"]["nonlinear"]
    runs = len(sizes(int(d), nl["N_over_d"])) * len(nl["seeds"])
    work = runs * nl["steps"] * nl["batch"] * int(d) * nl["width"]
    return Cost(unit("torch_start") + work * unit("mlp_flop"), "linear.nonlinear",
                f"{runs} MLPs x {nl['steps']} steps")


def _patches_cost(cfg: dict, d: str) -> Cost:
    return Cost(0.0, "linear.natural_patches", "a mean pooling of the splits")


_D = {"d": "[0-9]+"}
_CELL = {"target": TARGET_PATTERN, **_D}


def _cell_inputs(cfg: dict, results: str, target: str, d: str) -> dict:
    return cell_inputs(target, d, results)


def _patch_inputs(cfg: dict, results: str, d: str) -> dict:
    return cell_inputs("natural_patches", d, results)


JOBS = {
    "linear_patches": Job(
        outputs=PATCHES, cost=_patches_cost, inputs=patches_inputs,
        params=lambda cfg: {"downsample": cfg["linear"]["natural_patches"]["downsample"]},
        wildcards=lambda cfg: dict(_D)),
    "linear_closed_form": Job(
        outputs={"table": CLOSED_FORM}, cost=closed_form_cost, inputs=_cell_inputs,
        params=lambda cfg: {"spec": per_job(cell_spec, cfg, "target")},
        wildcards=lambda cfg: dict(_CELL)),
    "linear_trained": Job(
        outputs={"table": TRAINED}, cost=trained_cost, inputs=_cell_inputs,
        params=lambda cfg: {"spec": per_job(trained_spec, cfg, "target"), **device(cfg)},
        wildcards=lambda cfg: dict(_CELL)),
    "linear_samples": Job(
        outputs={"table": SAMPLES}, cost=samples_cost, inputs=_patch_inputs,
        params=lambda cfg: {"spec": per_job(samples_spec, cfg)},
        wildcards=lambda cfg: dict(_D)),
    "linear_hierarchy": Job(
        outputs={"table": HIERARCHY}, cost=hierarchy_cost,
        inputs=lambda cfg, results, d: hierarchy_inputs(d, cfg, results),
        params=lambda cfg: {"spec": per_job(hierarchy_spec, cfg)},
        wildcards=lambda cfg: dict(_D)),
    "linear_nonlinear": Job(
        outputs={"table": NONLINEAR}, cost=nonlinear_cost, inputs=_patch_inputs,
        params=lambda cfg: {"spec": per_job(nonlinear_spec, cfg), **device(cfg)},
        wildcards=lambda cfg: dict(_D)),
}

SOURCE = ("Merger & Goldt 2025, abstract (shared/papers/merger-goldt-papers.txt); "
          "derivations docs/science.md §10")

CLAIMS = (
    Claim("linear.transition",
          "The memorisation-to-generalisation transition sits at N ≍ d: for N ≤ d the optimal "
          "linear denoiser collapses onto the training span (KL = ∞), for N > d it samples a "
          "full-rank Gaussian.", SOURCE + " §10.4",
          "KL = ∞ in every cell with N ≤ d and finite in every cell with N > d (λ = 0, τ = ∞, "
          "both samplers, every target, d and seed): the edge is N/d = 1 exactly",
          "the isotropic Gaussian's edge (the rank argument without spectrum or heavy tails); "
          "a spectrum- or data-dependent transition would move the other targets' edges",
          "the N/d grid straddles N = d",
          "easy2hard.linear.claims:transition", _tables(closed_form_tables), figure="linear_kl"),
    Claim("linear.kl_law",
          "For N > d the KL approaches its optimum linearly in d/N (the paper: independently of "
          "the data); derived here: E KL = (E|z|⁴ + d)/(4N) to leading order, a constant set by "
          "the fourth moment of the whitened data.", SOURCE + " §10.8",
          "N (KL − KL_opt)/d² over the law's constant within 1 ± 0.15 for every non-Gaussian "
          "law at the largest d and N/d (seed-bootstrap intervals: heavy tails; the leading "
          "order neglects the cubic term, of infinite expectation for Student-t at ν = 6)",
          "the Gaussian (Wishart) expectation at the same d, N: the 'independent of the data' "
          "reading; the measured constant over it",
          "the sampler on the Gaussian targets: measured over the exact Wishart expectation "
          "within 3 s.e. of 1",
          "easy2hard.linear.claims:kl_law", _tables(closed_form_tables),
          params=lambda cfg: {"tolerance": 0.15, "gaussians": list(GAUSSIAN),
                              "laws": list(NON_GAUSSIAN)},
          figure="linear_non_gaussian"),
    Claim("linear.hierarchy_samples",
          "Hierarchy (a steeper spectrum at fixed trace) helps denoising below N = d but not "
          "the samples: a statement about the KL under an isotropic regulariser (at λ = 0 the KL "
          "does not depend on α, affine invariance).", SOURCE + " §10.9",
          "KL/d(steepest α) − KL/d(α = 0) > 0 beyond its interval, and above the control's "
          "interval, at the smallest N/d < 1, at each α's best ridge and at its best stopping "
          "time (oracle choice on the seed mean); the same difference under W₂²/d is reported",
          "the same difference without regulariser (λ = 0, τ = ∞) at the smallest N/d > 1, "
          "where affine invariance predicts 0 up to sampler discretisation",
          "the best regulariser leaves a finite KL at N < d for every α",
          "easy2hard.linear.claims:hierarchy_samples", _tables(hierarchy_tables),
          figure="linear_hierarchy"),
)

STAGE = Stage(name="linear", targets=targets, check=check, needs=needs, jobs=JOBS,
              claims=CLAIMS, figures=FIGURES)
