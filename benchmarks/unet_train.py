"""Training speed of the paper-size U-Net DDPM: plain fp32 against the fastest settings (one JSON line).

Setting: U-Net 64-128-256-512-1024 (33.07 M parameters), one channel, 32x32,
Adam, batch 100, ε-prediction MSE with k uniform. Variants, each timed in this process
on the same device with the library's own training step (easy2hard.images.training.make_step):
plain fp32; channels_last; bf16 autocast; bf16 + channels_last; and, with --compile,
bf16 + channels_last + torch.compile. The last keys are the ratios of each variant's
steps/s to plain fp32, and of the fastest.

    .venv/bin/python benchmarks/unet_train.py [--batch 100] [--steps 20] [--warmup 3]
        [--base 64] [--depth 4] [--size 32] [--device auto] [--compile] [--threads N]
On a CPU keep it short, e.g. --batch 8 --steps 3 --warmup 1.
"""

import argparse
import json
import time

import torch

from easy2hard.core.ddpm import Schedule
from easy2hard.pipeline.scripting import pick_device
from easy2hard.images.unet import n_parameters
from easy2hard.images.training import build_model, make_step, mean_loss


def steps_per_s(spec, device, batch, size, steps, warmup) -> tuple[float, float]:
    torch.manual_seed(0)
    model = build_model(spec).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    step = make_step(model, opt, spec, mean_loss(Schedule().alpha_bar(device)))
    g = torch.Generator().manual_seed(0)
    x0 = (2 * torch.rand(batch, 1, size, size, generator=g) - 1).to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for i in range(warmup + steps):
        if i == warmup:
            sync()
            start = time.perf_counter()
        k = torch.randint(0, 1000, (batch,), generator=g).to(device)
        eps = torch.randn(x0.shape, generator=g).to(device)
        loss = step(x0, k, eps)
    sync()
    return steps / (time.perf_counter() - start), float(loss.detach())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--base", type=int, default=64)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--size", type=int, default=32)
    ap.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    ap.add_argument("--compile", action="store_true", help="also time torch.compile (slow to warm up)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    base = {"base_channels": args.base, "depth": args.depth, "emb_dim": 100,
            "channels_last": False, "bf16": False, "compile": False}
    variants = {"fp32": {}, "channels_last": {"channels_last": True}, "bf16": {"bf16": True},
                "bf16_channels_last": {"bf16": True, "channels_last": True}}
    if args.compile:
        variants["bf16_channels_last_compile"] = {"bf16": True, "channels_last": True, "compile": True}
    rates, losses = {}, {}
    for name, extra in variants.items():
        rates[name], losses[name] = steps_per_s({**base, **extra}, device, args.batch, args.size,
                                                args.steps, args.warmup)
    fastest = max(rates, key=rates.get)
    out = {"benchmark": "unet_train", "device": torch.cuda.get_device_name(device) if device.type == "cuda"
           else f"cpu ({torch.get_num_threads()} threads)", "torch": torch.__version__,
           "parameters": n_parameters(build_model(base)), "batch": args.batch, "size": args.size,
           "timed_steps": args.steps, "warmup_steps": args.warmup,
           "final_loss": {k: round(v, 4) for k, v in losses.items()},
           "steps_per_s": {k: round(v, 3) for k, v in rates.items()}, "fastest": fastest,
           "ratio_to_fp32": {k: round(v / rates["fp32"], 3) for k, v in rates.items()},
           "ratio_fastest_to_fp32": round(rates[fastest] / rates["fp32"], 3)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
