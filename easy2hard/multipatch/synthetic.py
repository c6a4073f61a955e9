"""The synthetic experiment (docs/science.md §11.4-5): runs over three grids, trained in
lockstep with either objective from the same initialisation and the same data, measured at
log-spaced steps.

- the n·SNR² grid: seeds × ``n_snr2`` at width ``m`` and the objective's first width exponent;
- the width grid: seeds × ``width.m`` × every width exponent of the objective at ``width.n_snr2``;
- the sparse-signal grid: seeds × ``sparse.n_snr2`` with signal sparsity ``sparse.sparsity``.

Every filter stays in the span of the initial filters and the training patches (the gradient
of either loss is a combination of those vectors), so training runs exactly in coordinates
of an orthonormal basis of that span (``build``; k = 2m + 2S + nQ instead of d dimensions).

``spec`` is the config block ``multipatch.synthetic`` (plain dict; every key required).
"""

from __future__ import annotations

import math

import pandas as pd
import torch

from ..core.lockstep_tables import log_steps
from . import data, measures, model, training
from .grid import RUN_KEYS, literal_spec, run_keys, width_groups  # noqa: F401  (re-exported)
from .init import initial_weights

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def runs(spec: dict, objective: str) -> list[dict]:
    """Every run of the three grids, without duplicates, grouped by width (seed-major inside)."""
    return [{**dict(zip(RUN_KEYS, k)), "mu_norm": data.mu_norm(k[1], spec["n"], spec["d"], spec["sigma_xi"])}
            for k in run_keys(spec, objective)]


def padded_weights(spec: dict, run: dict, m: int) -> torch.Tensor:
    """The run's initial weights (2, run m, d) followed by zero filters up to m: (2, m, d)."""
    W = initial_weights(run["seed"], run["m"], spec["d"], spec["sigma0"])
    return torch.cat([W, W.new_zeros(2, m - run["m"], spec["d"])], dim=1)


def _draw(spec: dict, run: dict, tag: str, n: int) -> tuple[dict, torch.Tensor]:
    mus = data.signal_vectors(spec["d"], run["mu_norm"], spec["signal_scales"])
    return data.draw(run["seed"], tag, n, spec["d"], mus, spec["noise_patches"], spec["sigma_xi"],
                     spec["project_noise"], run["sparsity"]), mus


def build(spec: dict, run_list: list[dict]) -> dict:
    """Stacked float64 tensors of runs of one width, in the coordinates of ``basis`` (R, d, k):
    orthonormal columns spanning each run's initial filters, signal vectors and training
    noise patches (QR of those k vectors). Training data x (R, n, P, k), y (R, n), signal
    vectors mus (R, S, 2, k), noise patches xi (R, n, Q, k), initial weights W0 (R, 2, m, k)."""
    parts = [_draw(spec, r, "train", spec["n"]) for r in run_list]
    full = {"x": torch.stack([p[0]["x"] for p in parts]), "xi": torch.stack([p[0]["xi"] for p in parts]),
            "mus": torch.stack([p[1] for p in parts]),
            "W0": torch.stack([padded_weights(spec, r, max(q["m"] for q in run_list)) for r in run_list])}
    R, d = len(run_list), spec["d"]
    rows = torch.cat([full["W0"].reshape(R, -1, d), full["mus"].reshape(R, -1, d),
                      full["xi"].reshape(R, -1, d)], dim=1)
    Q = torch.linalg.qr(rows.transpose(1, 2)).Q
    batch = {k: project(v, Q) for k, v in full.items()}
    batch.update(y=torch.stack([p[0]["y"] for p in parts]), basis=Q)
    return batch


def project(v: torch.Tensor, Q: torch.Tensor) -> torch.Tensor:
    """Coordinates Qᵀv of vectors v (R, ..., d) in the basis Q (R, d, k): (R, ..., k)."""
    return torch.bmm(v.reshape(v.shape[0], -1, v.shape[-1]), Q).reshape(*v.shape[:-1], Q.shape[-1])


def scales(run_list: list[dict]) -> torch.Tensor:
    """The width prefactor m^{-a} of every run, (R,)."""
    return torch.tensor([r["m"] ** -r["width_exponent"] for r in run_list], dtype=torch.float64)


def train(spec: dict, objective: str, batch: dict, run_list: list[dict], name: str = "") -> dict:
    """{step: (W float64 in basis coordinates, per-run training loss)} at the log-spaced steps,
    trained in ``spec['precision']``; W is (R, m, k) for diffusion, (R, 2, m, k) otherwise."""
    settings, dtype = spec[objective], DTYPES[spec["precision"]]
    snaps = log_steps(settings["steps"], spec["log_points"])
    out = training.fit(objective, batch["x"].to(dtype), batch["y"].to(dtype), batch["W0"].to(dtype),
                       settings, snaps, name, scale=scales(run_list).to(dtype), dim=spec["d"])
    return {k: (W.double(), loss) for k, (W, loss) in out.items()}


def alignment_table(spec: dict, objective: str, run_list: list[dict], batch: dict, snaps: dict) -> pd.DataFrame:
    """One row per (run, logged step): training loss, signal alignment per signal patch
    (``align_mu1``, …), noise memorisation ``align_xi``, their ratio and the balance
    min/max over every feature, and the flow time lr · step."""
    rows, lr = [], spec[objective]["lr"]
    for step, (W, loss) in snaps.items():
        sig = measures.signal_alignment(W, batch["mus"])  # (R, S)
        noise = measures.sample_alignment(W, batch["xi"])  # (R,)
        feats = torch.cat([sig, noise[:, None]], dim=1)
        for r, run in enumerate(run_list):
            row = {"objective": objective, **run, "step": step, "flow_time": lr * step, "loss": float(loss[r])}
            row.update({f"align_mu{p + 1}": float(sig[r, p]) for p in range(sig.shape[1])})
            row["align_xi"] = float(noise[r])
            row["ratio"] = float(sig[r, 0] / noise[r])
            row["balance"] = float(feats[r].min() / feats[r].max())
            rows.append(row)
    return pd.DataFrame(rows)


def evaluation_sets(spec: dict, run_list: list[dict], batch: dict) -> dict:
    """Float64 evaluation sets in basis coordinates (R, n_eval, P, k): the training data, a
    held-out test set and its two exact Gaussian clones, drawn with common random numbers.
    The DDPM loss sees x only through ⟨w_r, x⟩, and every w_r lies in the basis' span, so the
    projection loses nothing the loss uses."""
    n_eval, Q = spec["diffusion"]["n_eval"], batch["basis"]
    out = {"test": [], "mean": [], "meancov": []}
    for r, run in enumerate(run_list):
        test, mus = _draw(spec, run, "test", n_eval)
        cl = data.clones(test, mus, spec["sigma_xi"], spec["project_noise"], run["seed"])
        for key, x in (("test", test["x"]), ("mean", cl["mean"]), ("meancov", cl["meancov"])):
            out[key].append(project(x[None], Q[r:r + 1])[0])
    return {"train": batch["x"], **{k: torch.stack(v) for k, v in out.items()}}


def clone_loss_table(spec: dict, run_list: list[dict], sets: dict, snaps: dict) -> pd.DataFrame:
    """One row per (run, step, set): the closed-form DDPM loss per coordinate, its s.e. over
    samples, and for the held-out sets the paired difference to the test set with its s.e."""
    t, rows = spec["diffusion"]["t"], []
    for step, (W, _) in snaps.items():
        with torch.no_grad():
            per = {k: model.ddpm_loss_per_sample(W, x, t, scales(run_list), spec["d"])
                   for k, x in sets.items()}
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


def run_all(spec: dict, objective: str, name: str = "") -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Train every run of ``runs`` (one lockstep batch per width) and measure it: the
    alignment table, and for diffusion the loss table on data, test set and clones."""
    run_list = runs(spec, objective)
    tables, losses = [], []
    for idx in width_groups(run_list, spec["m"]):
        group = [run_list[i] for i in idx]
        batch = build(spec, group)
        snaps = train(spec, objective, batch, group, name=f"{name} m<={max(r['m'] for r in group)}")
        tables.append(alignment_table(spec, objective, group, batch, snaps))
        if objective == "diffusion":
            losses.append(clone_loss_table(spec, group, evaluation_sets(spec, group, batch), snaps))
    return (pd.concat(tables, ignore_index=True),
            pd.concat(losses, ignore_index=True) if losses else None)


def run_literal(spec: dict, literal: dict, name: str = "") -> pd.DataFrame:
    """Train the literal setting's runs in one lockstep batch: the alignment table (loss in
    mean units, NaN once a run diverged) with ``loss_reading`` and the stated ``lr_literal``."""
    lit = literal_spec(spec, literal)
    run_list = runs(lit, "diffusion")
    batch = build(lit, run_list)
    snaps = train(lit, "diffusion", batch, run_list, name=name)
    return alignment_table(lit, "diffusion", run_list, batch, snaps).assign(
        loss_reading=literal["loss"], lr_literal=float(literal["lr"]))
