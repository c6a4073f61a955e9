"""The runs of the multipatch experiments as plain settings (torch-free: planning counts
them): the synthetic grids (``run_keys``), their lockstep batches (``width_groups``), the
literal setting's spec (``literal_spec``) and the Noisy-digits runs (``digit_runs``)."""

from __future__ import annotations

RUN_KEYS = ("seed", "n_snr2", "m", "width_exponent", "sparsity")


def run_keys(spec: dict, objective: str) -> list[tuple]:
    """Every run of the three grids as ``RUN_KEYS`` values, without duplicates, grouped by
    width (seed-major inside)."""
    exps, m0 = spec[objective]["width_exponents"], spec["m"]
    keys = [(s, q, m0, exps[0], 1.0) for s in spec["seeds"] for q in spec["n_snr2"]]
    keys += [(s, spec["width"]["n_snr2"], m, a, 1.0) for a in exps for m in spec["width"]["m"]
             for s in spec["seeds"]]
    keys += [(s, q, m0, exps[0], spec["sparse"]["sparsity"]) for s in spec["seeds"]
             for q in spec["sparse"]["n_snr2"]]
    return sorted(dict.fromkeys(keys), key=lambda k: (k[2], k[3], k[4], k[0], k[1]))


def width_groups(run_list: list[dict], m_main: int) -> list[list[int]]:
    """Indices of the runs of each lockstep batch: every run of width m <= ``m_main`` in one
    (narrower networks padded with zero filters, which both losses leave at exactly zero:
    their gradients are at least linear in the filter), each wider m in its own."""
    widths = sorted({max(r["m"], m_main) for r in run_list})
    return [[i for i, r in enumerate(run_list) if max(r["m"], m_main) == m] for m in widths]


def literal_spec(spec: dict, literal: dict) -> dict:
    """The synthetic spec of the paper's literal diffusion setting (the config block
    ``multipatch.literal``): its seeds and n·SNR² at width m and the first width exponent, no
    width or sparse grid. Descent on the loss summed over the P·d coordinates with step η is
    descent on the per-coordinate mean (``model.ddpm_loss``) with step η·P·d (§11.3), so
    ``loss: sum`` multiplies the step; flow times and losses stay in mean units."""
    patches = len(spec["signal_scales"]) + spec["noise_patches"]
    factor = patches * spec["d"] if literal["loss"] == "sum" else 1
    diffusion = spec["diffusion"]
    return {**spec, "seeds": literal["seeds"], "n_snr2": literal["n_snr2"],
            "width": {"m": [spec["m"]], "n_snr2": literal["n_snr2"][0]},
            "sparse": {"sparsity": 1.0, "n_snr2": []},
            "diffusion": {**diffusion, "lr": literal["lr"] * factor, "steps": literal["steps"],
                          "width_exponents": diffusion["width_exponents"][:1]}}


def digit_runs(spec: dict) -> list[dict]:
    """The Noisy-digits runs: every seed x SNR~ of the block ``multipatch.digits``."""
    return [{"seed": s, "snr_scale": a} for s in spec["seeds"] for a in spec["snr_scale"]]

