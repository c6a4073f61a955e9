"""Clone-loss evaluation of a U-Net checkpoint (docs/science.md §7).

For each evaluation set (train subset, test split, Gaussian clones) the DDPM loss is the
mean over images of the per-image MSE of the noise prediction, reported with its standard
error. Every set uses the same n images' worth of noise ε and diffusion steps k, image for
image (common random numbers): image i of every set gets ε_i and k_i. The difference of a
set's loss to the test loss is then the mean of the paired differences, whose standard
error is far smaller than that of two independent estimates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from ..core import ddpm


@torch.no_grad()
def per_image_losses(model, images: torch.Tensor, k: torch.Tensor, eps: torch.Tensor,
                     alpha_bar: torch.Tensor, batch: int, device) -> np.ndarray:
    """(n,) per-image DDPM loss of ``model`` at steps ``k`` with noise ``eps``, in batches."""
    out = []
    for i in range(0, len(images), batch):
        x0 = images[i:i + batch].to(device)
        out.append(ddpm.per_image_loss(model, x0, k[i:i + batch].to(device), eps[i:i + batch].to(device),
                                       alpha_bar).double().cpu())
    return torch.cat(out).numpy()


def summarize(losses: dict[str, np.ndarray], reference: str = "test") -> pd.DataFrame:
    """Mean, standard error and count per set, and the paired difference to ``reference``."""
    ref = losses[reference]
    rows = []
    for name, x in losses.items():
        d = x - ref
        n = len(x)
        rows.append({"set": name, "loss": x.mean(), "loss_se": x.std(ddof=1) / np.sqrt(n),
                     "n_images": n, "diff_to_test": d.mean(), "diff_to_test_se": d.std(ddof=1) / np.sqrt(n)})
    return pd.DataFrame(rows)


def evaluate(model, sets: dict[str, np.ndarray], n_images: int, fixed_k, schedule: ddpm.Schedule,
             seed: int, batch: int = 50, device="cpu") -> pd.DataFrame:
    """Loss table for one model: rows (set, t) with t = "all" (k uniform) or each fixed k.

    ``sets`` maps a set name to images (n, C, H, W); the first ``n_images`` of each are used
    (fewer if a set is smaller: all sets then use the smallest count). ε and the uniform k
    come from ``seed``, so every set, every t and every checkpoint share the same draws.
    """
    if "test" not in sets:
        raise ValueError("evaluation needs a 'test' set to compute differences to test")
    n = min(n_images, *(len(x) for x in sets.values()))
    if n < 2:
        raise ValueError(f"need at least 2 images per evaluation set, got {n}")
    shape = next(iter(sets.values())).shape[1:]
    gen = torch.Generator().manual_seed(seed)
    k_all = torch.randint(0, schedule.T, (n,), generator=gen)
    eps = torch.randn((n, *shape), generator=gen)
    alpha_bar = schedule.alpha_bar(device)
    tensors = {name: torch.as_tensor(np.asarray(x[:n], dtype=np.float32)) for name, x in sets.items()}
    tables = []
    for t in ["all", *map(int, fixed_k)]:
        if t != "all" and not 0 <= t < schedule.T:
            raise ValueError(f"fixed k = {t} is outside 0..{schedule.T - 1}")
        k = k_all if t == "all" else torch.full((n,), t, dtype=torch.long)
        losses = {name: per_image_losses(model, x, k, eps, alpha_bar, batch, device)
                  for name, x in tensors.items()}
        tables.append(summarize(losses).assign(t=str(t)))
    return pd.concat(tables, ignore_index=True)
