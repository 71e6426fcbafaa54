"""The loop bench/watch_overhead.py times: AdamW over stage groups, warmup-cosine LambdaLR,
accumulation 2, clipping; writes each optimizer step's wall time (seconds) to --timings."""

import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

from hnet_lint.model import HNetConfig, HNetForCausalLM
from hnet_lint.model.training import group_params_official

CONFIGS = {
    "tiny": {"arch_layout": ["m1", ["T1"], "m1"], "d_model": [64, 96], "d_intermediate": [0, 128],
             "attn_cfg": {"num_heads": [2, 2], "rotary_emb_dim": [16, 16], "window_size": [-1, -1]}},
    "small": {"arch_layout": ["m4", ["T4"], "m4"], "d_model": [256, 384], "d_intermediate": [0, 1024],
              "attn_cfg": {"num_heads": [4, 6], "rotary_emb_dim": [32, 32], "window_size": [-1, -1]}},
}

ap = argparse.ArgumentParser()
ap.add_argument("--model", default="tiny")
ap.add_argument("--steps", type=int, default=60)
ap.add_argument("--timings", required=True)
args = ap.parse_args()
cfg = dict(CONFIGS[args.model], vocab_size=256, tie_embeddings=False,
           ssm_cfg={"chunk_size": 64, "d_conv": 4, "d_state": 64, "expand": 2})
torch.manual_seed(0)
model = HNetForCausalLM(HNetConfig.from_dict(cfg))
model.init_weights(0.02)
model.apply_lr_multiplier([2.0, 1.0])
groups = group_params_official(model)
for g in groups:
    g["lr"] = 1e-3 * g.pop("lr_multiplier", 1.0)
opt = torch.optim.AdamW(groups, lr=1e-3)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 10) * 0.5 * (1 + math.cos(math.pi * s / 1000)))
gen = torch.Generator().manual_seed(0)
times = []
for step in range(args.steps):
    t0 = time.perf_counter()
    for _ in range(2):
        x = torch.randint(0, 256, (2, 257), generator=gen)
        loss = F.cross_entropy(model(x[:, :-1]).logits.reshape(-1, 256), x[:, 1:].reshape(-1)) / 2
        loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    opt.zero_grad()
    times.append(time.perf_counter() - t0)
    with open(args.timings, "w") as fh:  # every step: a watched run ends with os._exit at step K
        json.dump(times, fh)
