"""Noisy-digits (docs/science.md §11.6): a clean digit patch, scaled by SNR~, beside a standard
Gaussian noise patch of the same size.

Sources: ``digits8`` is scikit-learn's bundled 8 × 8 digits (1797 images, shipped in the wheel,
offline), ``mnist`` is torchvision's MNIST (28 × 28, training split; downloaded with its md5
checks when ``download`` is true and the network allows). Pixels are in [0, 1].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..core import streams

MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def load_digits8() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8 × 8 digits: images (N, 8, 8) in [0, 1] (raw 0..16 / 16), labels (N,)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.images.astype(np.float64) / 16.0, bunch.target.astype(np.int64)


def load_mnist(root: str | Path, download: bool) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's training split through torchvision: images (60000, 28, 28) in [0, 1], labels.

    Files already under ``root``/MNIST/raw are used as they are. Without them (and no
    download, or no network) the error says where to put which files.
    """
    from torchvision.datasets import MNIST

    raw = Path(root) / "MNIST" / "raw"
    try:
        ds = MNIST(str(root), train=True, download=download)
    except Exception as exc:  # torchvision raises RuntimeError or URLError subclasses
        files = "\n".join(f"  {raw / f}" for f in MNIST_FILES)
        raise FileNotFoundError(
            f"MNIST is not available under {raw} ({type(exc).__name__}: {exc}).\n"
            f"Either allow the download (multipatch.digits.download: true, with network; "
            f"torchvision checks the md5 sums), or place the four files, gunzipped, as\n{files}\n"
            f"(from https://ossci-datasets.s3.amazonaws.com/mnist/), or use "
            f"multipatch.digits.source: digits8 (offline)."
        ) from exc
    return ds.data.numpy().astype(np.float64) / 255.0, ds.targets.numpy().astype(np.int64)


def load(source: str, root: str | Path, download: bool) -> tuple[np.ndarray, np.ndarray]:
    if source == "digits8":
        return load_digits8()
    if source == "mnist":
        return load_mnist(root, download)
    raise ValueError(f"unknown digits source {source!r}; allowed: 'digits8', 'mnist'")


def split(labels: np.ndarray, classes, n_per_class: int, n_test: int, seed: int) -> dict:
    """Indices of ``n_per_class`` training and ``n_test`` test images per class, drawn from
    stream (seed, multipatch, digits, pick); label ±1: classes[1] -> +1, classes[0] -> −1."""
    gen = streams.generator(seed, "multipatch", "digits", "pick")
    train, test = [], []
    for c in classes:
        idx = np.flatnonzero(labels == c)
        if len(idx) < n_per_class + n_test:
            raise ValueError(f"digit {c} has {len(idx)} images; {n_per_class} training and "
                             f"{n_test} test images asked")
        order = idx[torch.randperm(len(idx), generator=gen).numpy()]
        train.append(order[:n_per_class])
        test.append(order[n_per_class:n_per_class + n_test])
    sign = {classes[0]: -1.0, classes[1]: 1.0}
    tr, te = np.concatenate(train), np.concatenate(test)
    return {"train": tr, "test": te, "y_train": np.array([sign[c] for c in labels[tr]]),
            "y_test": np.array([sign[c] for c in labels[te]])}


def noisy(images: np.ndarray, snr_scale: float, seed: int, tag: str) -> dict:
    """x = [SNR~ · digit, ξ] with ξ ~ N(0, I) from stream (seed, multipatch, digits, noise,
    tag): ``x`` (n, 2, D), ``signal`` and ``xi`` (n, 1, D)."""
    n = len(images)
    signal = torch.as_tensor(images.reshape(n, 1, -1), dtype=torch.float64) * snr_scale
    gen = streams.generator(seed, "multipatch", "digits", "noise", tag)
    xi = torch.randn(signal.shape, generator=gen, dtype=torch.float64)
    return {"x": torch.cat([signal, xi], dim=1), "signal": signal, "xi": xi}
