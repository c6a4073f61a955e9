"""Clone-loss evaluation of a U-Net checkpoint (docs/science.md §7).

For each evaluation set (train subset, test split, Gaussian clones) the DDPM loss is the
mean over images of the per-image MSE of the noise prediction, reported with its standard
error. Every set uses the same n images' worth of noise ε and diffusion steps k, image for
image (common random numbers): image i of every set gets ε_i and k_i. The difference of a
set's loss to the test loss is then the mean of the paired differences, whose standard
error is far smaller than that of two independent estimates. The reference denoisers
(reference.py) are evaluated on the same images with the same draws, so each set's gap can
be compared, image for image, with the gap they predict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..core import ddpm
from . import reference


#: the memory format of the evaluated model and images: channels_last halves the CPU time of
#: the default U-Net's convolutions (0.17 → 0.09 CPU-s per 250 images, oneDNN), with the same
#: losses up to float32 round-off
MEMORY_FORMAT = torch.channels_last


@torch.inference_mode()
def per_image_losses(model, images: torch.Tensor, k: torch.Tensor, eps: torch.Tensor,
                     alpha_bar: torch.Tensor, batch: int, device) -> np.ndarray:
    """(n,) per-image DDPM loss of ``model`` at steps ``k`` with noise ``eps``, in batches
    (images in ``MEMORY_FORMAT``)."""
    out = []
    for i in range(0, len(images), batch):
        x0 = images[i:i + batch].to(device).contiguous(memory_format=MEMORY_FORMAT)
        out.append(ddpm.per_image_loss(model, x0, k[i:i + batch].to(device), eps[i:i + batch].to(device),
                                       alpha_bar).double().cpu())
    return torch.cat(out).numpy()


def summarize(losses: dict[str, np.ndarray], reference: str = "test",
              denoisers: dict[str, dict[str, np.ndarray]] | None = None) -> pd.DataFrame:
    """Mean, standard error and count per set, and the paired difference to ``reference``.

    ``denoisers`` ({name: {set: per-image losses}}, the reference denoisers on the same
    images, ε and k) adds per denoiser d: ``{d}_loss``, ``{d}_diff_to_test`` with its
    standard error, and ``diff_minus_{d}``: the set's gap minus the denoiser's gap, image for
    image, with its standard error.

    A set S whose Gaussian twin ``twin_{S}`` is evaluated too gets ``twin_gap`` = C_S =
    loss(S) − loss(twin_S), paired by ε and k, with its standard error (NaN for other sets),
    and per denoiser d ``{d}_twin_gap`` (+ s.e.): 0 up to sampling for any affine denoiser.
    """
    ref = losses[reference]
    rows = []
    for name, x in losses.items():
        twin = losses.get(f"twin_{name}")
        row = {"set": name, **_mean_se("loss", x), "n_images": len(x),
               **_mean_se("diff_to_test", x - ref), **_twin_gap("twin_gap", x, twin)}
        for d, other in (denoisers or {}).items():
            gap = other[name] - other[reference]
            row |= {f"{d}_loss": other[name].mean(), **_mean_se(f"{d}_diff_to_test", gap),
                    **_mean_se(f"diff_minus_{d}", x - ref - gap),
                    **_twin_gap(f"{d}_twin_gap", other[name], other.get(f"twin_{name}"))}
        rows.append(row)
    return pd.DataFrame(rows)


def _twin_gap(name: str, x: np.ndarray, twin: np.ndarray | None) -> dict:
    """C_S = mean(x − twin) with its s.e., or NaN when the set has no evaluated twin."""
    if twin is None:
        return {name: np.nan, f"{name}_se": np.nan}
    return _mean_se(name, x - twin)


def _mean_se(name: str, x: np.ndarray) -> dict:
    return {name: x.mean(), f"{name}_se": x.std(ddof=1) / np.sqrt(len(x))}


def common_draws(sets: dict, n_images: int, fixed_k, T: int, seed: int):
    """(n, {t: k (n,)}, ε (n, C, H, W)): the draws every set, t and checkpoint share.

    n = ``n_images`` or the smallest set's size; k uniform for t = "all" and constant for
    each fixed k; ε and the uniform k come from ``seed``.
    """
    if "test" not in sets:
        raise ValueError("evaluation needs a 'test' set to compute differences to test")
    n = min(n_images, *(len(x) for x in sets.values()))
    if n < 2:
        raise ValueError(f"need at least 2 images per evaluation set, got {n}")
    shape = next(iter(sets.values())).shape[1:]
    gen = torch.Generator().manual_seed(seed)
    k_all = torch.randint(0, T, (n,), generator=gen)
    eps = torch.randn((n, *shape), generator=gen)
    ks = {"all": k_all}
    for t in map(int, fixed_k):
        if not 0 <= t < T:
            raise ValueError(f"fixed k = {t} is outside 0..{T - 1}")
        ks[str(t)] = torch.full((n,), t, dtype=torch.long)
    return n, ks, eps


def evaluate(model, sets: dict[str, np.ndarray], n_images: int, fixed_k, schedule: ddpm.Schedule,
             seed: int, batch: int = 50, device="cpu", denoisers: pd.DataFrame | None = None
             ) -> pd.DataFrame:
    """Loss table for one model: rows (set, t) with t = "all" (k uniform) or each fixed k.

    ``sets`` maps a set name to images (n, C, H, W); the first ``n_images`` of each are used
    (fewer if a set is smaller: all sets then use the smallest count). ε and the uniform k
    come from ``seed``, so every set, every t and every checkpoint share the same draws.
    ``denoisers``: the per-image table of ``reference_losses`` on the same sets and draws.
    """
    n, ks, eps = common_draws(sets, n_images, fixed_k, schedule.T, seed)
    model = model.to(memory_format=MEMORY_FORMAT)
    alpha_bar = schedule.alpha_bar(device)
    tensors = {name: torch.as_tensor(np.asarray(x[:n], dtype=np.float32)) for name, x in sets.items()}
    tables = []
    for t, k in ks.items():
        losses = {name: per_image_losses(model, x, k, eps, alpha_bar, batch, device)
                  for name, x in tensors.items()}
        tables.append(summarize(losses, denoisers=_by_denoiser(denoisers, t, n)).assign(t=t))
    return pd.concat(tables, ignore_index=True)


def _by_denoiser(table: pd.DataFrame | None, t: str, n: int) -> dict | None:
    """{denoiser: {set: per-image losses}} at ``t`` from a ``reference_losses`` table."""
    if table is None:
        return None
    sub = table[table["t"] == t].sort_values("image")
    out = {d: {s: g["loss"].to_numpy() for s, g in by.groupby("set")}
           for d, by in sub.groupby("denoiser")}
    if any(len(x) != n for d in out.values() for x in d.values()):
        raise ValueError(f"the reference-denoiser table does not hold {n} images per set and t")
    return out


def reference_losses(sets: dict[str, np.ndarray], train: np.ndarray, kinds, n_images: int,
                     fixed_k, schedule: ddpm.Schedule, seed: int, progress=None) -> pd.DataFrame:
    """Per-image losses of the reference denoisers fitted on ``train`` (reference.py) on
    every set, with the draws of ``evaluate`` (same ``seed``): one row per (denoiser, set,
    t, image), columns denoiser, set, t, image, loss. ``progress(sets done)`` is called
    after each set of each denoiser."""
    n, ks, eps = common_draws(sets, n_images, fixed_k, schedule.T, seed)
    frames = []
    for i, kind in enumerate(kinds):
        done = (lambda j, i=i: progress(i * len(sets) + j)) if progress else None
        losses = reference.per_image_losses(reference.fit(kind, train), sets, eps, ks,
                                            schedule.alpha_bar(), progress=done)
        frames += [pd.DataFrame({"denoiser": kind, "set": name, "t": t, "image": np.arange(n),
                                 "loss": x}) for t, by_set in losses.items()
                   for name, x in by_set.items()]
    return pd.concat(frames, ignore_index=True)


#: paired differences averaged over seeds by ``seed_mean_gaps``: (column, its s.e. column)
GAPS = (("diff_to_test", "diff_to_test_se"), ("wiener_diff_to_test", "wiener_diff_to_test_se"),
        ("empirical_diff_to_test", "empirical_diff_to_test_se"),
        ("diff_minus_wiener", "diff_minus_wiener_se"), ("twin_gap", "twin_gap_se"),
        ("wiener_twin_gap", "wiener_twin_gap_se"), ("empirical_twin_gap", "empirical_twin_gap_se"))


def seed_mean_gaps(losses: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, run, set, t, step): the seed mean of the loss and of every paired gap to
    test present in ``losses`` (the merged evaluation tables), each with the standard error
    sqrt(Σ_seeds se²) / n_seeds of a mean of independent seeds (image sampling), the seed
    standard error ``{gap}_seed_se`` = std over seeds / √n_seeds (training noise too; NaN with
    one seed), and ``z`` = (U-Net gap − Wiener gap) / its s.e.: how far the U-Net's gap is
    from the pair-wise prediction. ``twin_gap`` is C_S = loss(S) − loss(twin_S)."""
    keys = ["dataset", "run", "set", "t", "step"]
    g = losses[losses["set"] != "test"].groupby(keys)
    n = g.size()
    out = {"n_seeds": n, "loss": g["loss"].mean()}
    for col, se in GAPS:
        if col in losses:
            out[col] = g[col].mean()
            out[se] = np.sqrt(g[se].apply(lambda s: (s ** 2).sum(min_count=1))) / n
            out[f"{col}_seed_se"] = g[col].std(ddof=1) / np.sqrt(n)
    for col in ("wiener_loss", "empirical_loss"):
        if col in losses:
            out[col] = g[col].mean()
    df = pd.DataFrame(out).reset_index()
    if "diff_minus_wiener" in df:
        df["z_minus_wiener"] = df["diff_minus_wiener"] / df["diff_minus_wiener_se"]
    return df
