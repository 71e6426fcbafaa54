"""Analytic model information for H-Net configs: parameters, structure, init, FLOPs, memory.

Pure Python on purpose: it never imports torch, numpy or jinja2, so `hnet-lint model-info`
answers instantly on a machine without a GPU stack. The input is an official-format model
config dict (`goombalab/hnet` `configs/*.json`); counts match the official `state_dict`.

    >>> info = build_model_info({"arch_layout": ["T2"], "d_model": [256], "d_intermediate": [512],
    ...                          "attn_cfg": {"num_heads": [4], "rotary_emb_dim": [32], "window_size": [-1]}})
    >>> info.total_params
    1443072
"""

from __future__ import annotations

from .flops import FlopsEstimate, StageFlops, estimate_flops, mean_attended_length
from .info import (
    INITIALIZER_RANGE,
    ComponentInfo,
    LayerCounts,
    ModelInfo,
    StageInfo,
    build_model_info,
    default_target_ratios,
)
from .memory import DTYPE_BYTES, MemoryEstimate, estimate_memory
from .params import StageParams, count_params, param_shapes
from .spec import ModelSpec, StageSpec, parse_model_config
from .text import format_model_info

__all__ = [
    "DTYPE_BYTES",
    "INITIALIZER_RANGE",
    "ComponentInfo",
    "FlopsEstimate",
    "LayerCounts",
    "MemoryEstimate",
    "ModelInfo",
    "ModelSpec",
    "StageFlops",
    "StageInfo",
    "StageParams",
    "StageSpec",
    "build_model_info",
    "count_params",
    "default_target_ratios",
    "estimate_flops",
    "estimate_memory",
    "format_model_info",
    "mean_attended_length",
    "param_shapes",
    "parse_model_config",
]
