"""Synthetic training logs, generated deterministically by the tests themselves."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

from hnet_lint.schedules import Schedule

CONFIG = """\
model:
  arch_layout: ["m2", ["m2", ["T4"], "m2"], "m2"]
  d_model: [256, 320, 384]
  d_intermediate: [0, 0, 768]
  vocab_size: 256
  ssm_cfg: {chunk_size: 64, d_conv: 4, d_state: 32, expand: 2}
  attn_cfg: {num_heads: [4, 4, 6], rotary_emb_dim: [16, 16, 16], window_size: [-1, -1, -1]}
  tie_embeddings: false
routing:
  target_ratio: [3.0, 3.0]
  ratio_loss_weight: 0.03
optimizer:
  lr: 3.0e-4
  lr_multiplier: [2.0, 1.5, 1.0]
  betas: [0.9, 0.95]
schedule:
  name: cosine
  warmup_steps: 100
  total_steps: 3000
  min_lr: 3.0e-5
training:
  grad_clip: 1.0
"""

SCHEDULE = Schedule(peak_lr=3.0e-4, total_steps=3000, name="cosine", warmup_steps=100,
                    min_lr=3.0e-5)
MULT = (2.0, 1.5, 1.0)


def rows(n: int = 3000, every: int = 10, seed: int = 0, multipliers=MULT,
         eval_every: int = 0) -> list[dict]:
    """A healthy run: falling loss with small noise, grad norm ~0.5, correct per-group LRs,
    boundary rates on target (1/3) and ratio losses near 1.0."""
    rng = random.Random(seed)
    out = []
    for step in range(0, n, every):
        row = {"step": step,
               "loss": 2.0 + 1.5 * math.exp(-step / 800) + rng.gauss(0, 0.01),
               "grad_norm": 0.5 + abs(rng.gauss(0, 0.05))}
        for g, m in enumerate(multipliers):
            row[f"lr_group_{g}"] = SCHEDULE.lr(step) * m
        for s in range(2):
            row[f"compression_{s}"] = 1 / 3 + rng.gauss(0, 0.005)
            row[f"ratio_loss_{s}"] = 1.0 + abs(rng.gauss(0, 0.002))
        if eval_every and step % eval_every == 0 and step:
            row["eval_loss"] = row["loss"] + 0.02
        out.append(row)
    return out


def write_jsonl(path: Path, data: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in data))
    return path


def write_csv(path: Path, data: list[dict]) -> Path:
    keys = list(data[0])
    lines = [",".join(keys)] + [",".join(repr(r[k]) for k in keys) for r in data]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_text(path: Path, data: list[dict]) -> Path:
    """Lines like ``step 100 | loss 2.31 | gnorm 0.8 | lr/stage0 3.0e-4``, with noise lines."""
    lines = ["2024-05-01 12:00:00 INFO starting training"]
    for r in data:
        parts = [f"step {r['step']}", f"loss {r['loss']:.5f}", f"gnorm {r['grad_norm']:.5f}"]
        parts += [f"lr/stage{g} {r[f'lr_group_{g}']:.6e}" for g in range(3) if f"lr_group_{g}" in r]
        lines.append(" | ".join(parts))
    return _write(path, lines)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def line_of_step(path: Path, step: int) -> int:
    """1-based line of the JSON-lines row for ``step``."""
    for no, line in enumerate(path.read_text().splitlines(), 1):
        if line.startswith("{") and json.loads(line).get("step") == step:
            return no
    raise KeyError(step)
