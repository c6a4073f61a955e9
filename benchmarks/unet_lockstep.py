"""Three seeds of the default U-Net trained in lockstep against one after the other (one JSON line).

Lockstep: the seeds' weights stacked with ``torch.func.stack_module_state`` and one
``vmap`` over ``functional_call`` per step (BatchNorm buffers stacked too), one Adam on the
stacked weights (Adam is element-wise, so each seed's update is its own). Sequential: each
seed's own model and Adam. Every seed draws its batch indices, k and ε from its own
generator, identically in both. Prints ``{"lockstep_steps_s", "sequential_steps_s",
"speedup", "max_rel_weight_diff"}``: steps/s of the three seeds together, and the largest
difference of any weight tensor between the two after all steps (warm-up included), relative to that
tensor's largest entry. A prototype: the pipeline still trains the seeds one job each.

    .venv/bin/python benchmarks/unet_lockstep.py [--steps 10] [--warmup 2] [--seeds 3] [--threads 2]
"""

import argparse
import copy
import json
import time

import torch
from torch.func import functional_call, stack_module_state, vmap

from easy2hard.core import ddpm
from easy2hard.images.training import build_model

SPEC = {"base_channels": 8, "depth": 3, "emb_dim": 100}  # config/config.yaml, run small


def models(seeds):
    out = []
    for s in seeds:
        torch.manual_seed(s)
        out.append(build_model(SPEC, 1).train())
    return out


def draws(seeds, steps, batch, data):
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    out = []
    for _ in range(steps):
        out.append([(data[torch.randint(0, len(data), (batch,), generator=g)],
                     torch.randint(0, 1000, (batch,), generator=g),
                     torch.randn((batch, *data.shape[1:]), generator=g)) for g in gens])
    return out


def lockstep(seeds, batches, alpha_bar, lr, warmup):
    params, buffers = stack_module_state(models(seeds))
    base = copy.deepcopy(models(seeds[:1])[0]).to("meta")

    def one(p, b, x0, k, eps):
        net = lambda x, kk: functional_call(base, (p, b), (x, kk))  # noqa: E731
        return ddpm.per_image_loss(net, x0, k, eps, alpha_bar).mean()

    loss_fn, opt = vmap(one), torch.optim.Adam(params.values(), lr=lr)
    start = time.perf_counter()
    for i, d in enumerate(batches):
        if i == warmup:
            start = time.perf_counter()
        x0, k, eps = (torch.stack([part[i] for part in d]) for i in range(3))
        loss = loss_fn(params, buffers, x0, k, eps).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - start, params


def sequential(seeds, batches, alpha_bar, lr, warmup):
    nets = models(seeds)
    opts = [torch.optim.Adam(m.parameters(), lr=lr) for m in nets]
    start = time.perf_counter()
    for i, d in enumerate(batches):
        if i == warmup:
            start = time.perf_counter()
        for net, opt, (x0, k, eps) in zip(nets, opts, d):
            loss = ddpm.per_image_loss(net, x0, k, eps, alpha_bar).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    return time.perf_counter() - start, nets


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    seeds = list(range(args.seeds))
    data = 2 * torch.rand(500, 1, 32, 32, generator=torch.Generator().manual_seed(0)) - 1
    batches = draws(seeds, args.warmup + args.steps, args.batch, data)
    alpha_bar = ddpm.Schedule().alpha_bar()
    t_lock, stacked = lockstep(seeds, batches, alpha_bar, 0.002, args.warmup)
    t_seq, nets = sequential(seeds, batches, alpha_bar, 0.002, args.warmup)
    with torch.no_grad():
        diff = max(float((stacked[n][i] - p).abs().max() / p.abs().max().clamp(min=1e-12))
                   for i, net in enumerate(nets) for n, p in net.named_parameters())
    print(json.dumps({"lockstep_steps_s": args.steps / t_lock,
                      "sequential_steps_s": args.steps / t_seq, "speedup": t_seq / t_lock,
                      "max_rel_weight_diff": diff, "seeds": args.seeds, "steps": args.steps}))


if __name__ == "__main__":
    main()
