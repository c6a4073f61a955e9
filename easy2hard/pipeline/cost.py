"""Estimated CPU time of every job the config asks for, before any job starts.

The jobs are those Snakemake plans from an empty results root: ``plan.planned_jobs`` walks
the stages' job tables back from ``final_output`` (``easy2hard.pipeline.plan.jobs``), and
each job's ``Job.cost`` gives the CPU time of its work from the measured speeds of
``easy2hard.pipeline.unit_costs``; this module adds each job's start and sums per stage. The
workflow prints :func:`table` at the start of every run (one line per stage that plans
jobs) and refuses, through :func:`problems` in the config validation, any job estimated
above ``cost.max_job_hours`` of CPU time. A job without a cost is an error, not a silent gap.

The estimates are for one CPU core and are meant to be right within a factor of a few: they
tell a 10-second job from a 10-hour one. Jobs that run on a GPU when one is present (U-Net
training) are estimated for the CPU and refused when they will run on the CPU: ``device: cpu``,
or ``device: auto`` on a machine without CUDA (:func:`runs_on_cpu`, which looks for the NVIDIA
driver without importing torch, so that planning stays light).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

from .unit_costs import UNIT_COSTS, UnitCost, unit  # noqa: F401  (UnitCost: the table's type)


@dataclass(frozen=True)
class Job:
    """One planned job's estimated CPU time; ``key`` is the config key that sets its size."""

    stage: str
    name: str
    key: str
    seconds: float
    work: str = ""
    on_gpu: bool = False


def job_name(rule: str, wildcards: dict) -> str:
    """``rule`` and its wildcards, as the table names a job."""
    return rule + (" " + ", ".join(f"{k}={v}" for k, v in wildcards.items()) if wildcards else "")


def estimate(cfg: dict) -> dict[str, list[Job]]:
    """Every planned job (``plan.planned_jobs``) with its estimated CPU seconds (its cost
    plus one job start; rule ``all`` starts no process), by stage in the plan's order."""
    from . import plan

    models = plan.job_models()
    out: dict[str, list[Job]] = {}
    for planned in plan.planned_jobs(cfg):
        if planned.rule == "all":
            out.setdefault("all", []).append(Job("all", "all", "", 0.0))
            continue
        wc = planned.values
        c = models[planned.rule][1].cost(cfg, **wc)
        out.setdefault(planned.stage, []).append(
            Job(planned.stage, job_name(planned.rule, wc), c.key,
                c.seconds + unit("job_start"), c.work, c.on_gpu))
    order = [s.name for s in plan.STAGES] + ["all"]
    return {name: out[name] for name in order if name in out}


def human(seconds: float) -> str:
    """``seconds`` as s, min, h, days or years, two significant digits."""
    for size, unit in ((365.25 * 86400, "years"), (86400, "days"), (3600, "h"), (60, "min")):
        if seconds >= 2 * size:
            return f"{seconds / size:.2g} {unit}"
    return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.2g} s"


def table(estimates: dict[str, list[Job]]) -> str:
    """One line per stage: jobs, estimated CPU time in all and the longest job."""
    everything = sum(j.seconds for jobs in estimates.values() for j in jobs)
    lines = [f"estimated CPU time per stage (easy2hard.pipeline.cost; one core; "
             f"{human(everything)} in all):"]
    for stage, jobs in estimates.items():
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
        for job in jobs:
            if job.seconds > limit * 3600 and (not job.on_gpu or on_cpu):
                out.append(f"config key '{job.key}': the job {job.name} is estimated at "
                           f"{human(job.seconds)} of CPU time ({job.work})"
                           f"{_device_note(cfg, job)}, above cost.max_job_hours = {limit:g}; "
                           f"allowed: a smaller size or budget, or raise cost.max_job_hours")
    return out
