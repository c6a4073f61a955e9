"""CPU cost of the image evaluation's reference denoisers (Wiener, empirical optimum), one JSON
line: process CPU seconds to fit each on m training images of D pixels and to evaluate it on
``sets`` sets of n images at k uniform and three fixed k (the default run: n = 500, m = 6000,
D = 32 x 32, 8 sets), single-threaded.

    .venv/bin/python benchmarks/reference_denoisers.py [--n 500] [--m 6000] [--side 32] [--sets 8]

Random smooth images stand in for the data: the empirical optimum's cost depends on how
peaked its softmax is, which the images' spread sets; natural patches and these are alike.
"""

import argparse
import json
import time

import numpy as np
import torch

from easy2hard.core import ddpm
from easy2hard.images import evaluation, reference


def images(n: int, side: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 1, side, side)).cumsum(-1).cumsum(-2) / side
    return np.tanh(x).astype(np.float32)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--m", type=int, default=6000)
    p.add_argument("--side", type=int, default=32)
    p.add_argument("--sets", type=int, default=8)
    a = p.parse_args()
    torch.set_num_threads(1)
    train = images(a.m, a.side, 0)
    sets = {"test" if i == 0 else f"set{i}": images(a.n, a.side, i + 1) for i in range(a.sets)}
    sched = ddpm.Schedule()
    _, ks, eps = evaluation.common_draws(sets, a.n, [100, 500, 800], sched.T, seed=0)
    out = {"n": a.n, "m": a.m, "D": a.side ** 2, "sets": a.sets, "t": len(ks)}
    for kind in reference.DENOISERS:
        t0 = time.process_time()
        den = reference.fit(kind, train)
        t1 = time.process_time()
        reference.per_image_losses(den, sets, eps, ks, sched.alpha_bar())
        out[f"{kind}_fit_cpu_s"] = round(t1 - t0, 2)
        out[f"{kind}_eval_cpu_s"] = round(time.process_time() - t1, 2)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
