"""Estimated CPU time of every job the config asks for, before any job starts.

Each estimate is the work the config asks for (samples, steps, sizes) times one per-unit cost
of ``UNIT_COSTS``, the one place where measured speeds are kept, each with the benchmark or
measurement it comes from. The workflow prints :func:`table` at the start of every run (one
line per enabled stage) and refuses, through :func:`problems` in the config validation, any
job estimated above ``cost.max_job_hours`` of CPU time.

The estimates are for one CPU core and are meant to be right within a factor of a few: they
tell a 10-second job from a 10-hour one. Jobs that run on a GPU when one is present (U-Net
training) are estimated for the CPU and refused when they will run on the CPU: ``device: cpu``,
or ``device: auto`` on a machine without CUDA (:func:`runs_on_cpu`, which looks for the NVIDIA
driver without importing torch, so that planning stays light).
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path


@dataclass(frozen=True)
class UnitCost:
    """CPU seconds of one unit of work, and where that number was measured."""

    seconds: float
    unit: str
    source: str


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
        3.0e-10, "run x step x batch x N x width x depth of a network cell",
        "README, networks: Fig. 3a m = 1000 cell (12 runs x 3000 steps x 100 x 64) about 70 s; "
        "benchmarks/mcm_networks.py compares the same engine"),
    "network_step": UnitCost(
        4.0e-3, "optimiser step of one network cell (fixed overhead of the lockstep step)",
        "README, networks: the default stage's 11 jobs took 216 CPU-s in all"),
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
    "unet_lockstep": UnitCost(
        0.83, "training time of a U-Net run's seeds in lockstep relative to one after the other",
        "benchmarks/unet_lockstep.py: 3 seeds of the default model on 2 threads, 12.9 steps/s "
        "in lockstep against 10.7 one after the other (docs/stages/images.md)"),
    "unet_eval_image": UnitCost(
        2.0e-3, "image x noise level x set of a clone-loss evaluation, U-Net base 8 depth 3",
        "README, images: 7.3 CPU-min for the default image stage (16 evaluations of 500 "
        "images x 3 levels x 8 sets)"),
    "random_features_cell": UnitCost(
        0.03, "d^2 x seed x width ratio of a random-features ridge fit",
        "README, random features: about 2.5 min on 2 cores for the default"),
    "linear_cell": UnitCost(
        1.3e-7, "d^3 x (target, N, seed, ridge) of a linear closed form",
        "not measured alone: set so that the default linear stage (its share of the "
        "13-minute default pipeline, README) is about a CPU-minute per d = 64 job"),
    "job_start": UnitCost(
        5.0, "start of one job (Python, imports, reading the config), added to every job",
        "config/test/mcm.yaml: 12 jobs of negligible work took 71 CPU-s in all"),
    "small_job": UnitCost(
        5.0, "job of the theory, report or figure stages",
        "README: theory tables in seconds; each figure a few seconds"),
}


@dataclass(frozen=True)
class Job:
    """One job's estimated CPU time; ``key`` is the config key that sets its size."""

    stage: str
    name: str
    key: str
    seconds: float
    work: str = ""
    on_gpu: bool = False


def _unit(name: str) -> float:
    return UNIT_COSTS[name].seconds


def _n_max(spec: dict, N: int) -> float:
    b = spec.get("n_max", {})
    n = b.get("coef", 100) * N ** b.get("power", 1) * (math.log(N) if b.get("log") else 1.0)
    return max(1.0, float(round(n)))


def _runs(spec: dict, *keys: str) -> int:
    return math.prod(len(spec.get(k) or [None]) for k in keys)


def mcm_jobs(cfg: dict) -> list[Job]:
    """One job per (sweep, N): runs x n_max samples, the full engine also x N; and the theory
    tables the MCM figures read (:func:`mcm_theory_jobs`)."""
    out = []
    grid = ("activation", "projection", "latent", "correlated", "beta_u", "beta_v", "t", "seeds")
    for sweep, spec in cfg["mcm"].get("sweeps", {}).items():
        R = _runs(spec, *grid)
        for N in spec["N"]:
            n = _n_max(spec, N)
            full = spec.get("engine", "reduced") == "full"
            s = R * n * (_unit("mcm_full") * N if full else _unit("mcm_reduced"))
            out.append(Job("mcm", f"sweep {sweep}, N = {N}", f"mcm.sweeps.{sweep}", s,
                           f"{R} runs x {n:.3g} samples"))
    return out + mcm_theory_jobs(cfg)


def network_jobs(cfg: dict) -> list[Job]:
    """One job per (sweep, N, width, depth): steps x (overhead + runs x batch x N x m x L)."""
    out = []
    for sweep, spec in cfg["networks"].get("sweeps", {}).items():
        R = _runs(spec, "activation", "lr", "seeds", "t")
        steps, batch = spec.get("steps", 3000), spec.get("batch", 100)
        evals = spec.get("log_points", 25) * spec.get("eval_samples", 0) * 3
        for N in spec["N"]:
            for m in spec.get("width", [100]):
                for L in spec.get("depth", [1]):
                    flops = R * (steps * batch + evals) * N * m * L
                    s = steps * _unit("network_step") + flops * _unit("network_flop")
                    out.append(Job("networks", f"sweep {sweep}, N = {N}, m = {m}, L = {L}",
                                   f"networks.sweeps.{sweep}", s, f"{R} runs x {steps} steps"))
    return out


def fourier_jobs(cfg: dict) -> list[Job]:
    spec = cfg["fourier"].get("synthetic", {})
    R = _runs(spec, "alpha", "seeds")
    out = []
    for N in spec.get("N", []):
        steps = math.ceil(_n_max({"n_max": {"coef": 24, "power": 3, **spec.get("n_max", {})}}, N)
                          / spec.get("batch", 16))
        flops = R * steps * spec.get("batch", 16) * N * spec.get("width", 100)
        out.append(Job("fourier", f"synthetic N = {N}", "fourier.synthetic", flops *
                       _unit("fourier_flop"), f"{R} runs x {steps} steps"))
    return out


def multipatch_jobs(cfg: dict) -> list[Job]:
    out = []
    syn, dig = cfg["multipatch"].get("synthetic", {}), cfg["multipatch"].get("digits", {})
    R = len(syn.get("n_snr2", [0] * 5)) * len(syn.get("seeds", [0] * 5))
    size = syn.get("n", 30) * syn.get("d", 1000) * syn.get("m", 20) * (syn.get("noise_patches", 1) + 1)
    d_dig = 64 if dig.get("source", "mnist") == "digits8" else 784
    R_dig = len(dig.get("snr_scale", [0] * 2)) * len(dig.get("seeds", [0] * 3))
    size_dig = 2 * dig.get("n_per_class", 50) * d_dig * dig.get("m", 100) * 2
    for part, runs, n_size, key, default in (("synthetic", R, size, syn, (40000, 500)),
                                             ("digits", R_dig, size_dig, dig, (20000, 2000))):
        for i, train in enumerate(("diffusion", "classification")):
            steps = key.get(train, {}).get("steps", default[i])
            out.append(Job("multipatch", f"{part} {train}", f"multipatch.{part}.{train}",
                           runs * steps * n_size * _unit("multipatch_flop"),
                           f"{runs} runs x {steps} steps"))
    return out


def _lockstep_factor(run: dict, n_seeds: int) -> float:
    """Training time of a run's seeds in lockstep relative to one after the other."""
    together = run.get("lockstep", True) and run.get("model", {}).get("kind", "paper") == "paper"
    return _unit("unet_lockstep") if together and n_seeds > 1 else 1.0


def unet_jobs(cfg: dict) -> list[Job]:
    out = []
    for name, run in cfg.get("unet", {}).get("runs", {}).items():
        model, train = run.get("model", {}), run.get("training", {})
        scale = (model.get("base_channels", 64) / 8) ** 2 * model.get("depth", 4) / 3
        size = cfg.get("datasets", {}).get(run.get("dataset"), {}).get("size", 32)
        steps, batch = train.get("steps", 100000), train.get("batch", 100)
        s = steps * batch * size * size * scale * _unit("unet_pixel")
        ev = run.get("evaluation", {})
        e = (ev.get("n_images", 1000) * len(ev.get("fixed_k", [0] * 3))
             * len(ev.get("sets", [0] * 8)) * scale * _unit("unet_eval_image"))
        seeds = run.get("seeds", [0])
        if not run.get("external", {}).get("path"):  # external checkpoints: no training
            group = _lockstep_factor(run, len(seeds))
            out.append(Job("images", f"run {name}, {len(seeds)} seed(s), training",
                           f"unet.runs.{name}.training", s * len(seeds) * group,
                           f"{steps} steps x {batch} x {len(seeds)} seeds", True))
        for seed in seeds:
            out.append(Job("images", f"run {name}, seed {seed}, evaluations",
                           f"unet.runs.{name}.evaluation", e, "", True))
    return out


def random_features_jobs(cfg: dict) -> list[Job]:
    rf = cfg["random_features"]
    cells = sum(d * d for d in rf.get("dims", [32, 64, 128])) * len(rf.get("seeds", [0] * 3)) \
        * len(rf.get("m", [0] * 4))
    return [Job("random_features", "all fits", "random_features.dims",
                cells * _unit("random_features_cell") / 100.0, f"{cells} d^2 x cells")]


def linear_jobs(cfg: dict) -> list[Job]:
    lin = cfg["linear"]
    per_d = len(lin.get("N_over_d", [1] * 12)) * len(lin.get("seeds", [0] * 10)) \
        * len(lin.get("ridge", [0] * 5)) * len(lin.get("targets", [0] * 3))
    return [Job("linear", f"closed forms d = {d}", "linear.d", per_d * d ** 3 * _unit("linear_cell"),
                f"{per_d} fits of d = {d}") for d in lin.get("d", [16, 36, 64])]


def small_jobs(stage: str):
    return lambda cfg: [Job(stage, "tables", stage, _unit("small_job"))]


def _sde_settings(spec: dict) -> tuple[int, int, int]:
    """(settings per t and latent kind, one-overlap kinds, two-overlap kinds) of a sweep that
    the overlap SDE covers, as ``easy2hard.theory.dynamics.sweep_settings`` (batch 1, z
    integrated, the sphere projection, no mean shift; correlated latents are two-overlap)."""
    if (spec.get("batch", 1) != 1 or spec.get("z", "integrated") != "integrated"
            or "sphere" not in (spec.get("projection") or ["sphere"])
            or float(spec.get("mean_shift", 0)) != 0):
        return 0, 0, 0
    kinds = spec.get("correlated") or [False]
    pairs = sum(1 for c in kinds if c)
    return _runs(spec, "activation", "latent", "beta_u", "beta_v"), len(kinds) - pairs, pairs


def sde_job(cfg: dict, sweep: str) -> Job:
    """The overlap-SDE job (rule theory_dynamics) of one MCM sweep: per setting a coefficient
    table, then ``paths`` paths x 2 forms (SDE and drift only) per N, each path's steps growing
    with its sample budget in drift time, c n_max (c = lr Δ_t e^-t; ``benchmarks/sde_paths.py``)."""
    from ..core import ou
    from .plan import mcm

    spec = cfg["mcm"]["sweeps"][sweep]
    others, single, pairs = _sde_settings(spec)
    paths = cfg["theory"].get("dynamics", {}).get("paths", 128)
    cells = mcm.sweep_cells(cfg, sweep)
    ts = spec.get("t") or [0.0]
    budget = sum(1 + lr * ou.delta(t) * math.exp(-t) * n for t in ts for _, lr, n in cells)
    per_path = single * _unit("sde_path") + pairs * _unit("sde_path_2d")
    tables = len(ts) * (single * _unit("sde_table") + pairs * _unit("sde_table_2d"))
    s = others * (2 * paths * budget * per_path + tables)
    return Job("theory", f"overlap SDE of sweep {sweep}", "theory.dynamics.paths", s,
               f"{paths} paths x {len(cells)} N x {others * len(ts) * (single + pairs)} "
               f"settings, c n_max summed {budget:.3g}")


def mcm_theory_jobs(cfg: dict) -> list[Job]:
    """The theory tables that the MCM figures read (rules theory_sweep_exponents and
    theory_dynamics): they run with the MCM stage whether or not the theory stage is on."""
    from .plan import mcm

    exponents = {Path(f).stem for fig in mcm.STAGE.figures if fig.name in cfg["mcm"]["figures"]
                 for f in fig.inputs(cfg, "results").get("exponents", [])}
    return ([Job("mcm", f"k* of sweep {sweep}", f"mcm.sweeps.{sweep}", _unit("small_job"))
             for sweep in sorted(exponents)]
            + [replace(sde_job(cfg, sweep), stage="mcm") for sweep in mcm.predicted_sweeps(cfg)])


def theory_jobs(cfg: dict) -> list[Job]:
    """The theory stage's own tables (Hermite, k*, L(m), radial term)."""
    return small_jobs("theory")(cfg)


def claims_jobs(cfg: dict) -> list[Job]:
    """One claims job per stage that declares claims, and the merge: table reads and
    bootstraps of seconds each."""
    from .plan import claims

    names = [f"claims of {s.name}" for s in claims.claiming_stages(cfg)] + ["merge"]
    return [Job("claims", name, "claims", _unit("small_job")) for name in names]


def figure_jobs(cfg: dict, stage) -> list[Job]:
    """One job per figure the stage draws (its cost is the job's start)."""
    names = [t for t in stage.targets(cfg, "results") if "/figures/" in t and t.endswith(".png")]
    return [Job(stage.name, f"figure {n.rsplit('/', 1)[-1][:-4]}", stage.name, 0.0)
            for n in names]


ESTIMATORS = {
    "images": unet_jobs, "mcm": mcm_jobs, "theory": theory_jobs,
    "networks": network_jobs, "linear": linear_jobs, "fourier": fourier_jobs,
    "multipatch": multipatch_jobs, "random_features": random_features_jobs,
    "claims": claims_jobs, "report": small_jobs("report"),
}


def estimate(cfg: dict) -> dict[str, list[Job] | None]:
    """Every enabled stage's jobs (in the plan's stage order) with their estimated CPU
    seconds; None for a stage without an estimator, or whose estimator fails on its config
    (that stage is left unestimated, not the run stopped)."""
    from . import plan

    out: dict[str, list[Job] | None] = {}
    for stage in plan.enabled_stages(cfg):
        estimator = ESTIMATORS.get(stage.name)
        if estimator is None:
            out[stage.name] = None
            continue
        try:
            start = _unit("job_start")
            jobs = estimator(cfg) + figure_jobs(cfg, stage)
            out[stage.name] = [replace(j, seconds=j.seconds + start) for j in jobs]
        except (KeyError, TypeError, ValueError, AttributeError):
            out[stage.name] = None
    return out


def human(seconds: float) -> str:
    """``seconds`` as s, min, h, days or years, two significant digits."""
    for size, unit in ((365.25 * 86400, "years"), (86400, "days"), (3600, "h"), (60, "min")):
        if seconds >= 2 * size:
            return f"{seconds / size:.2g} {unit}"
    return f"{seconds:.2g} s"


def table(estimates: dict[str, list[Job] | None]) -> str:
    """One line per stage: jobs, estimated CPU time in all and the longest job."""
    everything = sum(j.seconds for jobs in estimates.values() for j in jobs or [])
    lines = [f"estimated CPU time per stage (easy2hard.pipeline.cost; one core; "
             f"{human(everything)} in all):"]
    for stage, jobs in estimates.items():
        if jobs is None:
            lines.append(f"  {stage:<16} no estimate")
            continue
        total = sum(j.seconds for j in jobs)
        top = max(jobs, key=lambda j: j.seconds, default=None)
        longest = f", longest {human(top.seconds)} ({top.name})" if top else ""
        lines.append(f"  {stage:<16} {len(jobs):>4} jobs  {human(total):>10}{longest}")
    return "\n".join(lines)


@lru_cache(maxsize=1)
def cuda_present() -> bool:
    """Whether this machine has an NVIDIA GPU with its driver loaded, found without importing
    torch: the driver's ``/proc/driver/nvidia/version``, else a successful ``nvidia-smi -L``."""
    if os.path.exists("/proc/driver/nvidia/version"):
        return True
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return False
    try:
        return subprocess.run([exe, "-L"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def runs_on_cpu(cfg: dict) -> bool:
    """Whether the jobs that may use a GPU will run on the CPU: ``device: cpu``, or
    ``device: auto`` on a machine without CUDA (:func:`cuda_present`)."""
    device = cfg.get("device", "auto")
    return device == "cpu" or (device == "auto" and not cuda_present())


def _device_note(cfg: dict, job: Job) -> str:
    if not job.on_gpu:
        return ""
    device = cfg.get("device", "auto")
    return f" on the CPU (device: {device}{', no CUDA on this machine' if device == 'auto' else ''})"


def problems(cfg: dict) -> list[str]:
    """A job estimated above ``cost.max_job_hours`` of CPU time is a config problem naming
    the sweep, its size and the estimate; a job that may use a GPU only when it will run on
    the CPU (:func:`runs_on_cpu`)."""
    limit = cfg.get("cost", {}).get("max_job_hours", 24.0)
    on_cpu = runs_on_cpu(cfg)
    out = []
    for jobs in estimate(cfg).values():
        for job in jobs or []:
            if job.seconds > limit * 3600 and (not job.on_gpu or on_cpu):
                out.append(f"config key '{job.key}': the job {job.name} is estimated at "
                           f"{human(job.seconds)} of CPU time ({job.work})"
                           f"{_device_note(cfg, job)}, above cost.max_job_hours = {limit:g}; "
                           f"allowed: a smaller size or budget, or raise cost.max_job_hours")
    return out
