"""Per-image cost of evaluating an external diffusers UNet2DModel, one JSON line: the public
DDPM CIFAR-10 model's architecture (google/ddpm-cifar10-32: 35.7 M parameters, 3 x 32 x 32;
random weights, which cost the same) timed on the evaluation's forward pass
(``easy2hard.images.evaluation.per_image_losses``), and its FLOPs per image (torch's
FlopCounterMode), from which a GPU's time is estimated.

    .venv/bin/python benchmarks/external_eval.py [--batch 50] [--batches 3] [--threads 1]

One checkpoint's evaluation is n_images x sets x (len(fixed_k) + 1) such images.
"""

import argparse
import json
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from easy2hard.core import ddpm
from easy2hard.images.diffusers_unet import EpsModel
from easy2hard.images.evaluation import per_image_losses

#: the config.json of google/ddpm-cifar10-32
DDPM_CIFAR10 = {"sample_size": 32, "in_channels": 3, "out_channels": 3, "layers_per_block": 2,
                "block_out_channels": (128, 256, 256, 256), "norm_num_groups": 32,
                "down_block_types": ("DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"),
                "up_block_types": ("UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D"),
                "downsample_padding": 0, "flip_sin_to_cos": False, "freq_shift": 1,
                "norm_eps": 1e-6, "mid_block_scale_factor": 1}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--batches", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    from diffusers import UNet2DModel

    model = EpsModel(UNet2DModel(**DDPM_CIFAR10)).eval()
    n = args.batch * args.batches
    x, eps = torch.randn(n, 3, 32, 32), torch.randn(n, 3, 32, 32)
    k = torch.randint(0, 1000, (n,))
    alpha_bar = ddpm.Schedule(1000, 1e-4, 0.02).alpha_bar()
    with torch.no_grad(), FlopCounterMode(display=False) as flops:
        model(x[:1], k[:1])
    per_image_losses(model, x[:args.batch], k, eps, alpha_bar, args.batch, "cpu")  # warm-up
    t0, c0 = time.perf_counter(), time.process_time()
    per_image_losses(model, x, k, eps, alpha_bar, args.batch, "cpu")
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"parameters": sum(q.numel() for q in model.parameters()),
                      "gflop_per_image": flops.get_total_flops() / 1e9, "images": n,
                      "threads": args.threads, "cpu_s_per_image": cpu / n,
                      "wall_s_per_image": wall / n}))


if __name__ == "__main__":
    main()
