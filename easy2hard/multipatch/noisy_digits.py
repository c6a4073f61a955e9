"""The Noisy-digits experiment (docs/science.md §11.6): both objectives on [SNR~ · digit, ξ],
runs over seeds × SNR~ in lockstep, then input gradients and denoised test images.

``spec`` is the config block ``multipatch.digits`` (plain dict; every key required).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..core import streams
from ..core.lockstep_tables import log_steps
from . import digits, measures, model, training
from .grid import digit_runs as runs  # noqa: F401  (the runs: seeds x SNR~)
from .init import initial_weights


def build(spec: dict, images: np.ndarray, labels: np.ndarray, run_list: list[dict]) -> dict:
    """Stacked float64 tensors: training x (R, n, 2, D), y (R, n), the signal and noise
    patches, test x and y, and the initial weights W0 (R, 2, m, D)."""
    side = images.shape[1:]
    out = {k: [] for k in ("x", "y", "signal", "xi", "x_test", "y_test", "W0")}
    for r in run_list:
        sp = digits.split(labels, spec["classes"], spec["n_per_class"], spec["n_test"], r["seed"])
        tr = digits.noisy(images[sp["train"]], r["snr_scale"], r["seed"], "train")
        te = digits.noisy(images[sp["test"]], r["snr_scale"], r["seed"], "test")
        for k, v in (("x", tr["x"]), ("signal", tr["signal"]), ("xi", tr["xi"]), ("x_test", te["x"]),
                     ("y", torch.as_tensor(sp["y_train"])), ("y_test", torch.as_tensor(sp["y_test"]))):
            out[k].append(v)
        out["W0"].append(initial_weights(r["seed"], spec["m"], int(np.prod(side)), spec["sigma0"]))
    batch = {k: torch.stack(v) for k, v in out.items()}
    batch["side"] = side
    return batch


def train(spec: dict, objective: str, batch: dict, name: str = "") -> dict:
    settings = spec[objective]
    snaps = log_steps(settings["steps"], spec["log_points"])
    return training.fit(objective, batch["x"].float(), batch["y"].float(), batch["W0"].float(),
                        settings, snaps, name)


def alignment_table(objective: str, run_list: list[dict], batch: dict, snaps: dict) -> pd.DataFrame:
    """One row per (run, step): loss, signal learning (1/n) Σ_i max_r |⟨w_r, μ_i⟩|, noise
    memorisation (1/n) Σ_i max_r |⟨w_r, ξ_i⟩|, and for classification the test accuracy."""
    rows = []
    for step, (W, loss) in snaps.items():
        W = W.double()
        sig = measures.sample_alignment(W, batch["signal"])
        noise = measures.sample_alignment(W, batch["xi"])
        acc = None
        if objective == "classification":
            with torch.no_grad():
                acc = (torch.sign(model.classifier(W, batch["x_test"])) == batch["y_test"]).double().mean(1)
        for r, run in enumerate(run_list):
            rows.append({"objective": objective, **run, "step": step, "loss": float(loss[r]),
                         "align_signal": float(sig[r]), "align_xi": float(noise[r]),
                         "ratio": float(sig[r] / noise[r]),
                         "test_accuracy": float(acc[r]) if acc is not None else float("nan")})
    return pd.DataFrame(rows)


def shown(batch: dict, n_show: int) -> torch.Tensor:
    """Indices of the test images shown: the first n_show / 2 of each class."""
    y = batch["y_test"][0]
    half = n_show // 2
    return torch.cat([torch.nonzero(y < 0)[:half, 0], torch.nonzero(y > 0)[:n_show - half, 0]])


def maps(spec: dict, run_list: list[dict], batch: dict, W_cls: torch.Tensor, W_diff: torch.Tensor) -> dict:
    """(R, k, 2, D) maps of k shown test images: the input, the classifier's input gradient
    (∇F_{+1} for y = +1, ∇F_{−1} for y = −1), the diffusion filters' ∇F, and the denoised x̂_0."""
    idx = shown(batch, spec["n_show"])
    X, y = batch["x_test"][:, idx], batch["y_test"][:, idx]
    W_cls, W_diff = W_cls.double(), W_diff.double()
    g_plus, g_minus = (measures.input_gradient(W_cls[:, j], X) for j in (0, 1))
    eps = torch.stack([torch.randn(X.shape[1:], generator=streams.generator(r["seed"], "multipatch", "digits",
                                                                             "eps"), dtype=X.dtype)
                       for r in run_list])
    with torch.no_grad():
        den = measures.denoised(W_diff, X, eps, spec["diffusion"]["t"])
    return {"input": X, "grad_classification": torch.where((y > 0)[..., None, None], g_plus, g_minus),
            "grad_diffusion": measures.input_gradient(W_diff, X), "denoised": den, "y": y}


def maps_table(run_list: list[dict], out: dict, side) -> pd.DataFrame:
    """Long table: one row per (run, kind, image, patch, pixel row, pixel column)."""
    h, w = side
    frames = []
    for kind in ("input", "grad_classification", "grad_diffusion", "denoised"):
        arr = out[kind].numpy()  # (R, k, 2, D)
        R, k, P, _ = arr.shape
        r_, i_, p_, row_, col_ = np.meshgrid(range(R), range(k), range(P), range(h), range(w), indexing="ij")
        frames.append(pd.DataFrame({
            "seed": [run_list[r]["seed"] for r in r_.ravel()],
            "snr_scale": [run_list[r]["snr_scale"] for r in r_.ravel()],
            "kind": kind, "image": i_.ravel(), "label": out["y"].numpy()[r_.ravel(), i_.ravel()],
            "patch": np.where(p_.ravel() == 0, "signal", "noise"), "row": row_.ravel(),
            "col": col_.ravel(), "value": arr.reshape(-1)}))
    return pd.concat(frames, ignore_index=True)
