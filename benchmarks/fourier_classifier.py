"""Speed of the phase classifier's compiled kernel (one JSON line).

Setting: one spherical neuron, He4 readout, logistic loss, online SGD with one fresh sample per
step (signal of the model or its random-phase clone, drawn inside the kernel), α = 0, density
0.125, random signs, lr 0.3 / N², single-threaded, after a warm-up call (numba caches the
compilation on disk). Reported: samples per second and nanoseconds per sample at each N, and
the cost of one α = 0 run at N³ samples.

    .venv/bin/python benchmarks/fourier_classifier.py [--samples 200000]
"""

import argparse
import json
import time

import numpy as np

from easy2hard.fourier import classifier, classifier_kernel
from easy2hard.fourier.synthetic import spike_count


def rate(N: int, samples: int) -> float:
    amp, c = classifier.half_spectrum(N, 0.0)
    W = np.fft.rfft(np.ones(N) / np.sqrt(N))
    args = (amp, c, N, spike_count(N, 0.125), True, 0.3 / N**2, 1e-3)
    lam = np.zeros(0)
    classifier_kernel.train(W, 0.0, *args, 10, 0, lam)  # compile / load from cache
    t0, c0 = time.perf_counter(), time.process_time()
    classifier_kernel.train(W, 0.0, *args, samples, 1, lam)
    return samples / (time.perf_counter() - t0), samples / (time.process_time() - c0)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--samples", type=int, default=200000)
    p.add_argument("--N", type=int, nargs="+", default=[16, 32, 64, 128, 256])
    args = p.parse_args()
    out = {"benchmark": "fourier_classifier", "samples": args.samples, "N": {}}
    for N in args.N:
        wall, cpu = rate(N, args.samples)
        out["N"][str(N)] = {"samples_per_s": round(wall), "samples_per_cpu_s": round(cpu),
                            "ns_per_sample_cpu": round(1e9 / cpu, 1),
                            "cpu_s_per_N3_samples": round(N**3 / cpu, 3)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
