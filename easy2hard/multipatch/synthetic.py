"""The synthetic experiment (docs/science.md §11.4-5): runs over seeds × n·SNR², trained in
lockstep with either objective from the same initialisation and the same data, measured at
log-spaced steps.

``spec`` is the config block ``multipatch.synthetic`` (plain dict; every key required).
"""

from __future__ import annotations

import math

import pandas as pd
import torch

from ..core.lockstep import exact_log_steps
from . import data, measures, model, training
from .init import initial_weights

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def runs(spec: dict) -> list[dict]:
    """One run per (seed, n·SNR²), seed-major."""
    return [{"seed": s, "n_snr2": q, "mu_norm": data.mu_norm(q, spec["n"], spec["d"], spec["sigma_xi"])}
            for s in spec["seeds"] for q in spec["n_snr2"]]


def _draw(spec: dict, run: dict, tag: str, n: int) -> tuple[dict, torch.Tensor]:
    mus = data.signal_vectors(spec["d"], run["mu_norm"], spec["signal_scales"])
    return data.draw(run["seed"], tag, n, spec["d"], mus, spec["noise_patches"], spec["sigma_xi"],
                     spec["project_noise"]), mus


def build(spec: dict, run_list: list[dict]) -> dict:
    """Stacked float64 tensors of the runs: training data x (R, n, P, d), y (R, n), signal
    vectors mus (R, S, 2, d), noise patches xi (R, n, Q, d), initial weights W0 (R, 2, m, d)."""
    parts = [_draw(spec, r, "train", spec["n"]) for r in run_list]
    return {"x": torch.stack([p[0]["x"] for p in parts]), "y": torch.stack([p[0]["y"] for p in parts]),
            "xi": torch.stack([p[0]["xi"] for p in parts]), "mus": torch.stack([p[1] for p in parts]),
            "W0": torch.stack([initial_weights(r["seed"], spec["m"], spec["d"], spec["sigma0"])
                               for r in run_list])}


def train(spec: dict, objective: str, batch: dict, name: str = "") -> dict:
    """{step: (W, per-run training loss)} at the log-spaced steps, in ``spec['precision']``."""
    settings = spec[objective]
    dtype = DTYPES[spec["precision"]]
    snaps = exact_log_steps(settings["steps"], spec["log_points"])
    return training.fit(objective, batch["x"].to(dtype), batch["y"].to(dtype), batch["W0"].to(dtype),
                        settings, snaps, name)


def alignment_table(spec: dict, objective: str, run_list: list[dict], batch: dict, snaps: dict) -> pd.DataFrame:
    """One row per (run, logged step): training loss, signal alignment per signal patch
    (``align_mu1``, …), noise memorisation ``align_xi``, their ratio and the balance
    min/max over every feature."""
    rows = []
    for step, (W, loss) in snaps.items():
        W = W.double()
        sig = measures.signal_alignment(W, batch["mus"])  # (R, S)
        noise = measures.sample_alignment(W, batch["xi"])  # (R,)
        feats = torch.cat([sig, noise[:, None]], dim=1)
        for r, run in enumerate(run_list):
            row = {"objective": objective, **run, "step": step, "loss": float(loss[r])}
            row.update({f"align_mu{p + 1}": float(sig[r, p]) for p in range(sig.shape[1])})
            row["align_xi"] = float(noise[r])
            row["ratio"] = float(sig[r, 0] / noise[r])
            row["balance"] = float(feats[r].min() / feats[r].max())
            rows.append(row)
    return pd.DataFrame(rows)


def evaluation_sets(spec: dict, run_list: list[dict], batch: dict) -> dict:
    """Float64 evaluation sets (R, n_eval, P, d): the training data, a held-out test set and
    its two exact Gaussian clones, drawn with common random numbers."""
    n_eval = spec["diffusion"]["n_eval"]
    tests, means, meancovs = [], [], []
    for r in run_list:
        test, mus = _draw(spec, r, "test", n_eval)
        cl = data.clones(test, mus, spec["sigma_xi"], spec["project_noise"], r["seed"])
        tests.append(test["x"]), means.append(cl["mean"]), meancovs.append(cl["meancov"])
    return {"train": batch["x"], "test": torch.stack(tests), "mean": torch.stack(means),
            "meancov": torch.stack(meancovs)}


def clone_loss_table(spec: dict, run_list: list[dict], sets: dict, snaps: dict) -> pd.DataFrame:
    """One row per (run, step, set): the closed-form DDPM loss per coordinate, its s.e. over
    samples, and for the held-out sets the paired difference to the test set with its s.e."""
    t, rows = spec["diffusion"]["t"], []
    for step, (W, _) in snaps.items():
        with torch.no_grad():
            per = {k: model.ddpm_loss_per_sample(W.double(), x, t) for k, x in sets.items()}
        for name, values in per.items():
            paired = name != "train"
            diff = values - per["test"] if paired else None
            for r, run in enumerate(run_list):
                v = values[r]
                rows.append({**run, "step": step, "set": name, "t": t, "loss": float(v.mean()),
                             "loss_se": float(v.std() / math.sqrt(len(v))), "n_samples": len(v),
                             "diff_to_test": float(diff[r].mean()) if paired else float("nan"),
                             "diff_to_test_se": float(diff[r].std() / math.sqrt(len(v))) if paired
                             else float("nan")})
    return pd.DataFrame(rows)
