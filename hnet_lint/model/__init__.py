"""Pure-PyTorch H-Net (Hwang, Wang, Gu 2025) for the dry-run, checkpoint-compatible with goombalab/hnet.

Importing this package does not import torch; ``config`` never does. Torch-backed names are
loaded on first attribute access, so the static linter can use ``hnet_lint.model.config`` alone.
Reading order (paper order): config → sequence → ssd → layers → mamba2 → attention → blocks →
dc → hnet → training → backends.
"""

from __future__ import annotations

import importlib
from typing import Any

from .config import HNetConfig, StageCfg, parse_layout

_LAZY = {
    "HNetForCausalLM": "hnet",
    "HNet": "hnet",
    "HNetOutput": "hnet",
    "RouterOutput": "dc",
    "SeqInfo": "sequence",
    "ratio_loss": "training",
    "group_params_official": "training",
    "group_params_corrected": "training",
    "select_backends": "backends",
    "BackendReport": "backends",
}

__all__ = ["HNetConfig", "StageCfg", "parse_layout", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
