"""Plan of the linear stage (docs/science.md §10; here N = training samples, d = dimension).

Paths, under ``results``:
  linear/patches/d{d}/{pool,heldout}.npy          natural patches reduced to d pixels
  linear/closed_form/{target}/d{d}.parquet        closed forms: N, seed, ridge, τ, sampler
  linear/trained/{target}/d{d}.parquet            Adam / SGD training against the closed forms
  linear/samples/natural_patches_d{d}.parquet     DDPM samples of N < d, N ≈ d, N >> d models
  figures/linear_{kl,test_error,regularisation,samples,trained}.{pdf,png}
"""

from __future__ import annotations

from .stage import Stage

import math

from .common import figure_files, pick

FIGURES = ("linear_kl", "linear_test_error", "linear_regularisation")


def closed_form_tables(cfg: dict, results: str) -> list[str]:
    lin = cfg["linear"]
    return [f"{results}/linear/closed_form/{t}/d{d}.parquet" for t in lin["targets"] for d in lin["d"]]


def trained_tables(cfg: dict, results: str) -> list[str]:
    tr = cfg["linear"]["trained"]
    return [f"{results}/linear/trained/{t}/d{d}.parquet" for t in tr["targets"] for d in tr["d"]]


def samples_table(cfg: dict, results: str) -> list[str]:
    sp = cfg["linear"]["samples"]
    return [f"{results}/linear/samples/natural_patches_d{sp['d']}.parquet"] if sp["N_over_d"] else []


def regularisation_table(cfg: dict, results: str) -> str:
    fig = cfg["linear"]["figures"]["regularisation"]
    return f"{results}/linear/closed_form/{fig['target']}/d{fig['d']}.parquet"


def cell_inputs(target: str, d, results: str) -> dict:
    """The reduced patches a natural_patches cell reads; nothing for Gaussian targets."""
    if target != "natural_patches":
        return {}
    return {k: f"{results}/linear/patches/d{d}/{k}.npy" for k in ("pool", "heldout")}


def cell_spec(cfg: dict, target: str) -> dict:
    """What a closed-form cell's table depends on (the d and target lists only add cells)."""
    lin = cfg["linear"]
    spec = pick(lin, "N_over_d", "seeds", "ridge", "times", "samplers", "ddpm")
    if target == "power_law":
        spec["power_law_exponent"] = lin["power_law_exponent"]
    return spec


def trained_spec(cfg: dict, target: str) -> dict:
    tr = dict(cfg["linear"]["trained"])
    del tr["targets"], tr["d"]
    if target == "power_law":
        tr["power_law_exponent"] = cfg["linear"]["power_law_exponent"]
    return tr


def targets(cfg: dict, results: str) -> list[str]:
    """Every closed-form and trained table, the samples, and the stage's figures."""
    if not cfg["linear"]["targets"]:
        return []
    out = closed_form_tables(cfg, results) + trained_tables(cfg, results) + samples_table(cfg, results)
    for fig in FIGURES:
        out += figure_files(results, fig)
    if trained_tables(cfg, results):
        out += figure_files(results, "linear_trained")
    if samples_table(cfg, results):
        out += figure_files(results, "linear_samples")
    return out


def _cells(cfg: dict) -> list[tuple[str, int, list, bool]]:
    """(config key, d, N_over_d, uses natural patches) of every part of the stage."""
    lin = cfg["linear"]
    tr, sp = lin["trained"], lin["samples"]
    out = [("linear", d, lin["N_over_d"], "natural_patches" in lin["targets"]) for d in lin["d"]]
    out += [("linear.trained", d, tr["N_over_d"], "natural_patches" in tr["targets"]) for d in tr["d"]]
    if sp["N_over_d"]:
        out.append(("linear.samples", sp["d"], sp["N_over_d"], True))
    return out


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
    return out


def samples_spec(cfg: dict) -> dict:
    """What the samples table depends on: its N list, n, ridge, seed and the schedule."""
    lin = cfg["linear"]
    return {**pick(lin["samples"], "N_over_d", "n", "ridge", "seed"), "ddpm": lin["ddpm"]}


STAGE = Stage(name="linear", targets=targets, check=check)
