"""Speed of the multipatch denoiser's training in the span of its filters and data (k
coordinates) against training in R^d, at the default synthetic setting (one JSON line).

Setting: d = 1000, n = 30, m = 20, two patches, 40 runs in lockstep (8 n·SNR² x 5 seeds),
float32, single thread, closed-form DDPM loss at t = 0.2, 200 gradient steps each way after a
warm-up of 5. Rates are run-steps per CPU second (time.process_time).

    .venv/bin/python benchmarks/multipatch_span.py [--steps 200]
"""

import argparse
import json
import time

import torch

from easy2hard.multipatch import synthetic, training

SPEC = dict(d=1000, n=30, n_snr2=[0.1, 0.3, 0.75, 1.92, 3.0, 4.32, 6.75, 10.0], sigma_xi=1.0, signal_scales=[1.0],
            noise_patches=1, project_noise=False, m=20, sigma0=0.001, seeds=[0, 1, 2, 3, 4], log_points=1,
            precision="float32", width={"m": [20], "n_snr2": 6.75}, sparse={"sparsity": 1.0, "n_snr2": []},
            diffusion={"t": 0.2, "lr": 10.0, "steps": 0, "n_eval": 2, "width_exponents": [0.5]})


def rate(X, W0, scale, dim, steps):
    settings = {**SPEC["diffusion"], "steps": steps}
    training.fit("diffusion", X, None, W0, {**settings, "steps": 5}, [5], scale=scale, dim=dim)
    start = time.process_time()
    training.fit("diffusion", X, None, W0, settings, [steps], scale=scale, dim=dim)
    return X.shape[0] * steps / (time.process_time() - start)


def main(steps: int) -> dict:
    torch.set_num_threads(1)
    runs = synthetic.runs(SPEC, "diffusion")
    batch = synthetic.build(SPEC, runs)
    scale = synthetic.scales(runs).float()
    Q = batch["basis"]
    full_x = torch.einsum("rnpk,rdk->rnpd", batch["x"], Q).float()
    full_w = torch.einsum("rgmk,rdk->rgmd", batch["W0"], Q).float()
    reduced = rate(batch["x"].float(), batch["W0"].float(), scale, SPEC["d"], steps)
    full = rate(full_x, full_w, scale, None, steps)
    return {"benchmark": "multipatch_span", "runs": len(runs), "d": SPEC["d"], "k": int(Q.shape[-1]),
            "steps": steps, "run_steps_per_cpu_s_span": round(reduced, 1),
            "run_steps_per_cpu_s_full": round(full, 1), "speedup": round(reduced / full, 2)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    print(json.dumps(main(parser.parse_args().steps)))
