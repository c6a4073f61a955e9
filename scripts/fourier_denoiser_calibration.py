"""Calibration of the synthetic denoiser (docs/stages/fourier.md): does the wide tied
autoencoder learn the phases at all? One lockstep batch of runs, one per learning rate, on the
one-spike model (N = 8, density 1/8, α = 0, t = 0.3); prints the test loss on the data and on
the clone at log-spaced steps beside the best linear loss and the Bayes-optimal loss, and the
fraction of the linear-to-Bayes gap each run closes.

    .venv/bin/python scripts/fourier_denoiser_calibration.py --activation relu2 \\
        --lrs 0.0003,0.001,0.003 --steps 32000 [--linear-start] [--alpha 2]
"""

import argparse
import time
from types import SimpleNamespace

import torch

from easy2hard.core import lockstep, streams
from easy2hard.fourier import synthetic, training
from easy2hard.networks import models


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--N", type=int, default=8)
    p.add_argument("--alpha", type=float, default=0.0)
    p.add_argument("--activation", default="relu2")
    p.add_argument("--width", type=int, default=100)
    p.add_argument("--lrs", default="0.0003,0.001,0.003")
    p.add_argument("--steps", type=int, default=32000)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--linear-start", action="store_true", help="add the fixed best linear predictor")
    a = p.parse_args()
    torch.set_num_threads(1)
    lrs, t, N = [float(x) for x in a.lrs.split(",")], 0.3, a.N
    R = len(lrs)
    draw = lambda kind, g: (lambda n: synthetic.sample(kind, n, N, a.alpha, 1 / N, "random", g).float())  # noqa: E731
    tests = {k: torch.stack([draw(k, streams.generator(0, "cal", k))(2000)] * R) for k in synthetic.KINDS}
    tests["z"] = torch.stack([torch.randn(2000, N, generator=streams.generator(0, "cal", "z"))] * R)
    arch, tt = models.Arch("autoencoder", N, a.width), torch.full((R,), t)
    groups = models.activation_groups([a.activation] * R)
    params = models.init(arch, [streams.generator(0, "cal", "init")] * R, a_init=0.0 if a.linear_start else 1.0)
    den = SimpleNamespace(forward=lambda q, x: models.forward(arch, q, x, groups, tt),
                          grads=lambda q, xt, z: models.autoencoder_grads(q, xt, z, groups, tt))
    if a.linear_start:
        den = training.with_linear(den, synthetic.wiener_noise_map(N, a.alpha, t).float())
    per_run = lockstep.make_optimizer
    training.make_optimizer = lambda tr, lr, opt: per_run(tr, torch.tensor(lrs), opt)  # one lr per run
    t0 = time.time()
    df = training.train(den, params, [draw("data", streams.generator(r, "cal", "data")) for r in range(R)],
                        [streams.generator(r, "cal", "noise") for r in range(R)], tests, t=t,
                        steps=a.steps, batch=a.batch, lr=0.0, log_points=10)
    df["lr"] = [lrs[r] for r in df["run"]]
    ref = synthetic.reference_losses(N, a.alpha, t, 1 / N)
    print(df.pivot_table(index="step", columns="lr", values="loss_data").round(4).to_string())
    last = df[df["step"] == a.steps].set_index("lr")
    gap = (ref["loss_linear"] - last["loss_data"]) / (ref["loss_linear"] - ref["loss_bayes"])
    print(f"linear {ref['loss_linear']:.4f}  Bayes {ref['loss_bayes']:.4f}  "
          f"({a.activation}, width {a.width}, {a.steps} steps of {a.batch} = "
          f"{a.steps * a.batch / N**3:.0f} N^3 samples, {time.time() - t0:.0f} s)")
    print("final loss on the clone:", last["loss_clone"].round(4).to_dict())
    print("fraction of the linear-to-Bayes gap closed:", gap.round(3).to_dict())


if __name__ == "__main__":
    main()
