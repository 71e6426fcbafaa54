"""Memory estimate arithmetic on the hand-countable tiny config."""

from __future__ import annotations

from typing import Any

import pytest

from hnet_lint.modelinfo import build_model_info
from hnet_lint.modelinfo.memory import weight_bytes
from hnet_lint.modelinfo.spec import parse_model_config

from .helpers import tiny_config
from .test_modelinfo_params import TINY_TOTAL

# residual_proj (64^2 + 64) and two Mamba2 `D` vectors (h = 2 each) stay fp32 in a bf16 build
TINY_FP32_FORCED = 4160 + 2 * 2


def test_fp32_params_grads_and_adamw() -> None:
    mem = build_model_info(tiny_config(), param_dtype="float32").memory
    assert mem.param_bytes == 4 * TINY_TOTAL
    assert mem.grad_bytes == mem.param_bytes
    assert mem.optimizer_bytes == 2 * mem.param_bytes  # exp_avg + exp_avg_sq, param dtype
    assert mem.total_bytes == 4 * mem.param_bytes + mem.activation_bytes


def test_bf16_keeps_forced_fp32_tensors() -> None:
    mem = build_model_info(tiny_config(), param_dtype="bfloat16").memory
    assert mem.param_bytes == 2 * (TINY_TOTAL - TINY_FP32_FORCED) + 4 * TINY_FP32_FORCED


def test_activation_arithmetic_by_hand() -> None:
    mem = build_model_info(tiny_config(), batch_size=2, seq_len=12, target_ratios=[3.0]).memory
    # stage 0 (D=64, d_inner 128, N 16, h 2), bf16 activations, per position:
    #   norm1 4*64 + 2*64 = 384; Mamba2 2*((256+32+2) + (128+32) + 2*128) = 1412; x2 layers = 3592
    #   two Isotropic final norms 2*2*64 = 256; routing 2*2*64 + residual_proj 4*2*64 + dechunk 2*64 = 896
    stage0 = 3592 + 256 + 896
    # stage 1 (D=128, F'=128): norm1 768 + attention 2*4*128 + norm2 768 + SwiGLU 2*3*128, final norm 256
    stage1 = 768 + 1024 + 768 + 768 + 256
    assert mem.stage_activation_bytes == (24 * stage0, 8 * stage1)  # 24 bytes, 1/3 reach stage 1
    assert mem.logits_bytes == 24 * 256 * (2 + 4)
    assert mem.activation_bytes == 24 * stage0 + 8 * stage1 + 24 * 256 * 6


def test_no_autocast_uses_param_dtype() -> None:
    fp32 = build_model_info(tiny_config(), autocast_dtype=None).memory
    bf16 = build_model_info(tiny_config(), autocast_dtype="bfloat16").memory
    assert fp32.activation_bytes > bf16.activation_bytes


def test_weight_bytes_agree_with_bf16_dump(reference: dict[str, Any]) -> None:
    """The reference lists each tensor's dtype when built like generate.py (bf16)."""
    dtypes = reference["dtypes_when_built_bf16"]
    sizes = {"torch.float32": 4, "torch.bfloat16": 2, "float32": 4, "bfloat16": 2}
    expected = 0
    for name, shape in reference["params"].items():
        n = 1
        for dim in shape:
            n *= dim
        expected += n * sizes[dtypes[name]]
    assert weight_bytes(parse_model_config(reference["config"]), "bfloat16") == expected


@pytest.mark.parametrize("kwargs", [{"batch_size": 0}, {"seq_len": -1}, {"param_dtype": "int8"},
                                    {"autocast_dtype": "fp8"}])
def test_bad_memory_arguments_raise(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build_model_info(tiny_config(), **kwargs)
