"""A loop that follows a config's effective schedule exactly (as its trainer would): groups at
base LR x world-size factor x stage multiplier, a LambdaLR over the trainer's schedule factor,
the trainer's accumulation and clipping. ``--per-micro`` steps the scheduler per micro-batch."""

import os
import sys

import torch
import torch.nn.functional as F

from hnet_lint.api import lint_paths
from hnet_lint.load.trainers.effective import schedule_of
from hnet_lint.model import HNetConfig, HNetForCausalLM
from hnet_lint.model.training import group_params_official

config, per_micro = sys.argv[1], "--per-micro" in sys.argv
run = next(iter(lint_paths([config]).runs.values()))
eff = schedule_of(run, world_size=1)
clip = getattr(run.training, "grad_clip", None) or 1.0
torch.manual_seed(0)
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "watch", "tiny.json")) as fh:
    import json
    model = HNetForCausalLM(HNetConfig.from_dict(json.load(fh)))
model.init_weights(0.02)
model.apply_lr_multiplier(list(eff.multipliers))
groups = group_params_official(model)
for g in groups:
    g["lr"] = eff.peak_lr * g.pop("lr_multiplier", 1.0)
opt = torch.optim.AdamW(groups, lr=eff.peak_lr, weight_decay=0.0)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: eff.factor(eff.scheduler_step_of(t)))
gen = torch.Generator().manual_seed(0)
for step in range(1000):
    for _ in range(eff.accumulation):
        x = torch.randint(0, 256, (2, 33), generator=gen)
        (F.cross_entropy(model(x[:, :-1]).logits.reshape(-1, 256), x[:, 1:].reshape(-1)) / eff.accumulation).backward()
        if per_micro:
            sched.step()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    if not per_micro:
        sched.step()
    opt.zero_grad()
