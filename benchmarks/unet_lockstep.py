"""Three seeds of the default U-Net trained in lockstep against one after the other (one JSON line).

Both use the library's trainer pieces (easy2hard.images.training / lockstep) on the default
model (config/config.yaml, run small: base 8, depth 3, emb_dim 100, batch 32, 32x32
images): lockstep = the seeds as one grouped-convolution U-Net with one Adam
(``lockstep.Lockstep``), sequential = each seed's own plain U-Net and Adam
(``training.Alone``), every seed drawing its batch, k and ε from its own generator. The two
are timed in alternating rounds in the same process (a loaded machine slows both alike);
each mode's steps/s is the median over rounds of the three seeds' steps per second.
Prints ``{"lockstep_steps_s", "sequential_steps_s", "speedup", "max_rel_weight_diff", ...}``;
``max_rel_weight_diff`` is the largest difference of any weight tensor between the two
after all steps, relative to that tensor's largest entry. ``--profile`` also prints the
operators that take the most CPU time in each mode (to stderr). (Stacking the seeds'
weights with ``torch.func.stack_module_state`` and one ``vmap`` per step, the first
prototype, ran at 0.88-0.94 of sequential; the grouped convolutions replaced it.)

    .venv/bin/python benchmarks/unet_lockstep.py [--steps 8] [--rounds 5] [--threads 2] [--profile]
"""

import argparse
import json
import statistics
import sys
import tempfile
import time

import numpy as np
import torch

from easy2hard.images.grouped_unet import to_state_dicts
from easy2hard.images.lockstep import Lockstep
from easy2hard.images.settings import TrainerSettings
from easy2hard.images.training import Alone, Seed, make_step, schedule

SPEC = {"base_channels": 8, "depth": 3, "emb_dim": 100, "T": 1000, "beta_min": 1e-4, "beta_max": 0.02,
        "steps": 1000, "batch": 32, "lr": 0.002, "train_subset": 6000}  # config/config.yaml, run small


def trainers(images, settings, seeds, folder):
    """(lockstep trainer and its step, [(alone trainer, its step)]) from the same initial weights."""
    def group():
        return [Seed(images, settings, s, f"{folder}/seed{s}", "", "cpu") for s in seeds]

    alpha_bar = schedule(SPEC).alpha_bar()
    lock = Lockstep(group(), settings.optim.lr)
    alone = [Alone(seed, settings.optim.lr) for seed in group()]
    step = (lambda t: make_step(t.model.train(), t.opt, settings.spec(), t.loss(alpha_bar)))
    return (lock, step(lock)), [(t, step(t)) for t in alone]


def run(trainer, step_fn, steps: int) -> float:
    """Seconds for ``steps`` steps of ``trainer``."""
    start = time.perf_counter()
    for _ in range(steps):
        step_fn(*trainer.inputs([s.draw(SPEC["batch"], SPEC["T"], "cpu") for s in trainer.seeds]))
    return time.perf_counter() - start


def profile(label, fn):
    from torch.profiler import profile as torch_profile

    with torch_profile() as prof:
        fn()
    print(f"--- {label}", file=sys.stderr)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=8), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=8, help="steps per round and mode")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    images = np.random.default_rng(0).uniform(-1, 1, (6000, 1, 32, 32)).astype(np.float32)
    settings = TrainerSettings.from_spec(SPEC)
    with tempfile.TemporaryDirectory() as folder:
        (lock, lock_step), alone = trainers(images, settings, list(range(args.seeds)), folder)
    run(lock, lock_step, 2)  # warm-up
    for t, fn in alone:
        run(t, fn, 2)
    lock_rates, seq_rates = [], []
    for _ in range(args.rounds):
        lock_rates.append(args.steps / run(lock, lock_step, args.steps))
        seq_rates.append(args.steps / sum(run(t, fn, args.steps) for t, fn in alone))
    if args.profile:
        profile("lockstep", lambda: run(lock, lock_step, 3))
        profile("sequential", lambda: [run(t, fn, 3) for t, fn in alone])
    with torch.no_grad():
        diff = max(float((grouped[k] - v).abs().max() / v.abs().max().clamp(min=1e-12))
                   for grouped, (t, _) in zip(to_state_dicts(lock.model), alone)
                   for k, v in t.model.state_dict().items() if v.is_floating_point())
    lock_s, seq_s = statistics.median(lock_rates), statistics.median(seq_rates)
    print(json.dumps({"lockstep_steps_s": round(lock_s, 3), "sequential_steps_s": round(seq_s, 3),
                      "speedup": round(lock_s / seq_s, 3), "max_rel_weight_diff": diff,
                      "seeds": args.seeds, "steps": 2 + args.rounds * args.steps,
                      "threads": args.threads}))


if __name__ == "__main__":
    main()
