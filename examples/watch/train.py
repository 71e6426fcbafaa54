"""A training script written the way H-Net users write theirs (it uses hnet-lint only for its H-Net):
argparse flags, this project's H-Net, AdamW over per-stage groups with ``lr_multiplier``
folded into each group's LR, a LambdaLR warmup-cosine, gradient accumulation, clipping, and
optional DDP/FSDP2 under torchrun. Each ``--defect`` is one mistake users make.
"""

import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

from hnet_lint.model import HNetConfig, HNetForCausalLM
from hnet_lint.model.training import group_params_official

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny.json")) as fh:
    TINY = json.load(fh)


p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=1000)
p.add_argument("--accum", type=int, default=2)
p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--warmup", type=int, default=10)
p.add_argument("--total", type=int, default=100)
p.add_argument("--clip", type=float, default=1.0)
p.add_argument("--mult", type=float, nargs="+", default=[2.0, 1.0])
p.add_argument("--engine", choices=["none", "ddp", "fsdp2"], default="none")
p.add_argument("--defect", default="none",
               choices=["none", "sched-per-micro", "no-zero", "bf16", "nan", "crash", "stuck", "plain-adamw",
                        "clip-in-no-sync", "exit-early"])
p.add_argument("--out", default=None, help="a 'final checkpoint' written on the way out (must not be)")
args = p.parse_args()

rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
if args.engine != "none":
    torch.distributed.init_process_group("gloo")
torch.manual_seed(0)
model = HNetForCausalLM(HNetConfig.from_dict(TINY))
model.init_weights(0.02)
model.apply_lr_multiplier(args.mult)
if args.defect == "bf16":
    model = model.to(torch.bfloat16)
if args.engine == "ddp":
    model = torch.nn.parallel.DistributedDataParallel(model)
elif args.engine == "fsdp2":
    from torch.distributed.fsdp import fully_shard
    fully_shard(model)  # in place: the parameters become DTensor shards, without their tags
    model.apply_lr_multiplier(args.mult)
groups = group_params_official(model.module if args.engine == "ddp" else model)
if args.defect != "plain-adamw":
    for g in groups:  # fold each group's multiplier into its lr, as the official recipe means
        g["lr"] = args.lr * g.pop("lr_multiplier", 1.0)
opt = torch.optim.AdamW(groups, lr=args.lr, weight_decay=0.0)


def warmup_cosine(step):
    if step < args.warmup:
        return step / args.warmup  # the Hugging Face convention: LR 0 at step 0
    return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - args.warmup) / max(1, args.total - args.warmup))))


sched = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine)
gen = torch.Generator().manual_seed(1 + rank)
try:
    for step in range(args.steps):
        if args.defect == "exit-early" and step == 3:
            break
        for micro in range(args.accum):
            x = torch.randint(0, 256, (2, 33), generator=gen)
            last = micro == args.accum - 1
            sync = model.no_sync() if (args.engine == "ddp" and not last) else None
            if sync is not None:
                sync.__enter__()
            logits = model(x[:, :-1]).logits
            loss = F.cross_entropy(logits.float().reshape(-1, 256), x[:, 1:].reshape(-1)) / args.accum
            if args.defect == "nan" and step == 3 and rank == world - 1:
                loss = loss * float("nan")
            loss.backward()
            if args.defect == "clip-in-no-sync" and not last:
                torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            if sync is not None:
                sync.__exit__(None, None, None)
            if args.defect == "sched-per-micro":
                sched.step()
        if args.defect == "crash" and step == 2 and rank == world - 1:
            raise RuntimeError("data shard 7 is corrupt")
        if args.defect == "stuck" and step == 2 and rank == world - 1:
            try:
                raise ValueError("bad batch")
            except ValueError:
                import time
                time.sleep(3600)  # a rank that swallowed its error and never joins the others again
        if args.defect != "clip-in-no-sync":
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        if args.defect != "sched-per-micro":
            sched.step()
        if args.defect != "no-zero" or step % 100 == 0:
            opt.zero_grad()
except KeyboardInterrupt:
    pass
finally:
    if args.out:  # the trainer's "final checkpoint": a watched run must never get here
        with open(args.out, "w") as fh:
            fh.write("final checkpoint")
