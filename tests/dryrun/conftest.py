"""Tiny 1-level H-Net (stages 0 and 1, d_model 64/96) configs for the dry-run tests (CPU, seconds each)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from hnet_lint.api import lint_paths
from hnet_lint.dryrun.build import DryRunOptions
from hnet_lint.dryrun.runner import DryRunResult, run_dry_run_for

TINY_MODEL = {
    "arch_layout": ["m1", ["T1"], "m1"],
    "d_model": [64, 96],
    "d_intermediate": [0, 128],
    "vocab_size": 256,
    "ssm_cfg": {"chunk_size": 32, "d_conv": 4, "d_state": 16, "expand": 2},
    "attn_cfg": {"num_heads": [2, 2], "rotary_emb_dim": [16, 16], "window_size": [-1, -1]},
    "tie_embeddings": False,
}

RUN = """\
model: tiny.json
routing:
  target_ratio: [{ratio}]
  ratio_loss_weight: 0.03
optimizer:
  name: adamw
  lr: {lr}
  lr_multiplier: [2.0, 1.0]
  betas: [0.9, 0.95]
  eps: 1.0e-8
  weight_decay: 0.1
schedule:
  name: cosine
  warmup_steps: 100
  total_steps: 2000
  min_lr: 1.0e-5
training:
  batch_size: 2
  grad_accum_steps: 2
  seq_len: 64
  grad_clip: 1.0
  param_dtype: {param_dtype}
  autocast_dtype: {autocast}
  seed: 0
"""

torch.set_num_threads(1)  # deterministic and fair on the shared 2-core CI machine

#: the probe settings every test uses (60 steps: 30 warmup, 30 at peak)
PROBE_STEPS = 60


def write_config(folder: Path, name: str = "run.yaml", *, lr: str = "3.0e-3", ratio: str = "3.0",
                 param_dtype: str = "float32", autocast: str = "bfloat16") -> Path:
    (folder / "tiny.json").write_text(json.dumps(TINY_MODEL))
    path = folder / name
    path.write_text(RUN.format(lr=lr, ratio=ratio, param_dtype=param_dtype, autocast=autocast))
    return path


def load_run(path: Path) -> Any:
    report = lint_paths([str(path)])
    return next(iter(report.runs.values()))


def dry(path: Path, **kw: Any) -> DryRunResult:
    opts = dict(probe_steps=PROBE_STEPS, smoke_steps=4, cpu_seq_len=64, cpu_batch_size=2)
    opts.update(kw)
    return run_dry_run_for(load_run(path), DryRunOptions(**opts))


def codes(result: DryRunResult, min_severity: int = 0) -> set[str]:
    return {f.code for f in result.findings if int(f.severity) >= min_severity}


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dryrun")
