"""Plan of the multipatch stage (docs/science.md §11): diffusion against classification.

Paths, under ``results``:
  multipatch/synthetic/{classification,diffusion}.parquet   alignments per run and logged step
  multipatch/synthetic/diffusion_losses.parquet             DDPM loss on data, test, clones
  multipatch/digits/{alignment,maps}.parquet                Noisy-digits dynamics and maps
  figures/multipatch_{alignment,balance,clones,digits}.{pdf,png}
"""

from __future__ import annotations

from .stage import Stage

from .common import figure_files, without

FIGURES = ("multipatch_alignment", "multipatch_balance", "multipatch_clones", "multipatch_digits")
OBJECTIVES = ("classification", "diffusion")


def synthetic_tables(results: str) -> list[str]:
    return [f"{results}/multipatch/synthetic/{o}.parquet" for o in OBJECTIVES]


def targets(cfg: dict, results: str) -> list[str]:
    """The stage's tables and figures when ``multipatch.enabled``."""
    if not cfg["multipatch"]["enabled"]:
        return []
    out = synthetic_tables(results) + [f"{results}/multipatch/synthetic/diffusion_losses.parquet",
                                       f"{results}/multipatch/digits/alignment.parquet",
                                       f"{results}/multipatch/digits/maps.parquet"]
    for fig in FIGURES:
        out += figure_files(results, fig)
    return out


def synthetic_spec(cfg: dict, objective: str) -> dict:
    """What one objective's synthetic table depends on: the data, the network, the seeds and
    SNRs (one lockstep job), and that objective's own settings only."""
    spec = without(cfg["multipatch"]["synthetic"], *OBJECTIVES)
    spec[objective] = cfg["multipatch"]["synthetic"][objective]
    return spec


def digits_spec(cfg: dict) -> dict:
    """The digits block, with the download folder of ``datasets.root``."""
    return {**cfg["multipatch"]["digits"], "root": cfg["datasets"]["root"]}


def check(cfg: dict) -> list[str]:
    """The alignment figure's SNRs are computed; d has room for two class vectors per
    signal patch; the digits' class labels differ."""
    mp, out = cfg["multipatch"], []
    if not mp["enabled"]:
        return out
    syn = mp["synthetic"]
    missing = [q for q in mp["figures"]["alignment_snr"] if q not in syn["n_snr2"]]
    if missing:
        out.append(f"config key 'multipatch.figures.alignment_snr': {missing} not in "
                   f"multipatch.synthetic.n_snr2; allowed: values of {syn['n_snr2']}")
    if syn["d"] < 2 * len(syn["signal_scales"]):
        out.append(f"config key 'multipatch.synthetic.d': d = {syn['d']} < 2 x "
                   f"{len(syn['signal_scales'])} signal patches; allowed: d >= {2 * len(syn['signal_scales'])}")
    dig = mp["digits"]
    if dig["classes"][0] == dig["classes"][1]:
        out.append(f"config key 'multipatch.digits.classes': {dig['classes']} names one digit "
                   f"twice; allowed: two different digits 0-9")
    if dig["n_show"] > 2 * dig["n_test"]:
        out.append(f"config key 'multipatch.digits.n_show': {dig['n_show']} images shown but "
                   f"{2 * dig['n_test']} test images; allowed: n_show <= 2 * n_test")
    return out


STAGE = Stage(name="multipatch", targets=targets, check=check)
