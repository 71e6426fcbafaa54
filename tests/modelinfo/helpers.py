"""Test helpers: the official-params reference dumps and a tiny hand-checkable config."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ..conftest import OFFICIAL_CONFIGS as REFERENCE_NAMES
from ..conftest import OFFICIAL_PARAMS_DIR as REFERENCE_DIR


def load_reference(name: str) -> dict[str, Any]:
    """One reference dump: config, total_params, num_tensors, params, dtypes_when_built_bf16."""
    path = REFERENCE_DIR / f"{name}.json"
    if not path.exists():
        pytest.skip(f"reference dump {path} is not available")
    return json.loads(path.read_text())


def tiny_config(**overrides: Any) -> dict[str, Any]:
    """1-stage config small enough to count by hand (see test_memory / test_params)."""
    config: dict[str, Any] = {
        "arch_layout": ["m1", ["T1"], "m1"],
        "d_model": [64, 128],
        "d_intermediate": [0, 128],
        "vocab_size": 256,
        "ssm_cfg": {"d_conv": 4, "expand": 2, "d_state": 16, "chunk_size": 256},
        "attn_cfg": {"num_heads": [2, 2], "rotary_emb_dim": [16, 16], "window_size": [-1, -1]},
        "tie_embeddings": False,
    }
    config.update(overrides)
    return config
