"""The detection corpus: proxy-sized H-Net runs that vary more than the learning rate.

Every case is a real run config (YAML + the tiny official-format model JSON) of a 1-stage
H-Net (d_model 64/96, the dry-run tests' model), configured batch 2 x 2 x 64 bytes, a
1,000-step cosine schedule to 1e-5, fp32 compute unless a case says otherwise. Cases come in
*families*: one variant of the recipe (multiplier spread, warmup, clipping, chunking target,
ratio-loss weight, decay grouping, bf16 storage) swept over base LRs across the knee, so each
family has its own best setting. ``python -m bench.detection.cases DIR`` writes them out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MODEL = {
    "arch_layout": ["m1", ["T1"], "m1"],
    "d_model": [64, 96],
    "d_intermediate": [0, 128],
    "vocab_size": 256,
    "ssm_cfg": {"chunk_size": 32, "d_conv": 4, "d_state": 16, "expand": 2},
    "attn_cfg": {"num_heads": [2, 2], "rotary_emb_dim": [16, 16], "window_size": [-1, -1]},
    "tie_embeddings": False,
}

TOTAL_STEPS = 1000  # the long run: ~10-17x the probe's steps at peak

BASE: dict[str, Any] = {
    "lr_multiplier": [2.0, 1.0], "warmup_steps": 50, "grad_clip": 1.0, "target_ratio": 3.0,
    "ratio_loss_weight": 0.03, "grouping": "corrected", "param_dtype": "float32", "autocast": "null",
}

#: family -> (what differs from BASE, base LRs swept)
FAMILIES: dict[str, tuple[dict[str, Any], list[float]]] = {
    "base": ({}, [2e-3, 5e-3, 1e-2, 2e-2, 4e-2, 8e-2]),
    "mult-4x": ({"lr_multiplier": [4.0, 1.0]}, [1e-3, 3e-3, 1e-2, 3e-2]),
    "mult-flat": ({"lr_multiplier": [1.0, 1.0]}, [3e-3, 1e-2, 3e-2, 6e-2]),
    "warmup-10": ({"warmup_steps": 10}, [3e-3, 1e-2, 3e-2]),
    "no-clip": ({"grad_clip": 0.0}, [3e-3, 1e-2, 3e-2]),
    "ratio-N8": ({"target_ratio": 8.0}, [3e-3, 1e-2, 3e-2]),
    "ratio-w0.3": ({"ratio_loss_weight": 0.3}, [3e-3, 1e-2, 3e-2]),
    "decay-official": ({"grouping": "official"}, [3e-3, 1e-2, 3e-2]),  # A_log/dt_bias/gains decayed
    "bf16-storage": ({"param_dtype": "bfloat16"}, [3e-3, 3e-2]),  # updates round away
}

#: families that vary stage 0's multiplier at one fixed base LR: family -> (base LR, stage-0 multipliers).
#: Added 2026-12-06 *after* the sequential LR-edge plan's z, cap and logit factor were chosen, so the
#: policy is scored on configs it was not tuned on (issue 17: such a family was undecided on 3 of 5).
MULT_SWEEPS: dict[str, tuple[float, list[float]]] = {"mult0-sweep": (4e-3, [0.5, 1.0, 2.0, 4.0, 8.0])}

#: exact faults each family carries by construction (the dry-run must find them every time)
EXACT: dict[str, list[str]] = {"decay-official": ["HNL806"], "bf16-storage": ["HNL812", "HNL803"]}
#: per case: at base LR 3e-2 the peak step (~6e-2 at stage 0) exceeds half a bf16 spacing for
#: nearly every element, so "most elements never change at peak LR" (HNL803) is false there by
#: construction; the storage itself (HNL812) is still the fault
EXACT_CASE: dict[str, list[str]] = {"bf16-storage@0.03": ["HNL812"]}

RUN = """\
model: model.json
routing:
  target_ratio: [{target_ratio}]
  ratio_loss_weight: {ratio_loss_weight}
optimizer:
  name: adamw
  lr: {lr}
  lr_multiplier: {lr_multiplier}
  betas: [0.9, 0.95]
  eps: 1.0e-8
  weight_decay: 0.1
  grouping: {grouping}
schedule:
  name: cosine
  warmup_steps: {warmup_steps}
  total_steps: {total}
  min_lr: 1.0e-5
training:
  batch_size: 2
  grad_accum_steps: 2
  seq_len: 64
  grad_clip: {grad_clip}
  param_dtype: {param_dtype}
  autocast_dtype: {autocast}
  seed: 0
"""


@dataclass(frozen=True)
class Case:
    family: str
    lr: float
    settings: dict[str, Any] = field(default_factory=dict)
    tag: str = ""  # what varies within the family when it is not the base LR (a multiplier sweep)

    @property
    def name(self) -> str:
        return f"{self.family}@{self.tag or f'{self.lr:g}'}"

    @property
    def peak(self) -> float:
        """Stage 0's peak LR (base x its multiplier): what orders a family's cases (within the
        LR families the multipliers are fixed, so it orders them as the base LR does)."""
        return self.lr * self.settings.get("lr_multiplier", BASE["lr_multiplier"])[0]

    @property
    def exact(self) -> list[str]:
        return EXACT_CASE.get(self.name, EXACT.get(self.family, []))

    def yaml(self) -> str:
        s = {**BASE, **self.settings}
        return RUN.format(lr=f"{self.lr:.6g}", total=TOTAL_STEPS, **{k: json.dumps(v) if isinstance(v, list) else v
                                                                        for k, v in s.items()})

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.json").write_text(json.dumps(MODEL))
        path = folder / f"{self.name.replace('@', '_at_')}.yaml"
        path.write_text(self.yaml())
        return path


def cases() -> list[Case]:
    return [Case(fam, lr, dict(diff)) for fam, (diff, lrs) in FAMILIES.items() for lr in lrs] + [
        Case(fam, lr, {"lr_multiplier": [m, 1.0]}, tag=f"x{m:g}") for fam, (lr, ms) in MULT_SWEEPS.items() for m in ms]


if __name__ == "__main__":
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "bench/detection/configs")
    for c in cases():
        print(c.write(out))
