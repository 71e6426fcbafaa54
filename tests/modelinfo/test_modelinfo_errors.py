"""Odd configs raise ValueError with a message naming the field, never another exception."""

from __future__ import annotations

from typing import Any

import pytest

from hnet_lint.modelinfo import build_model_info, param_shapes

from .helpers import tiny_config


def _self_nested() -> list:
    layout: list = ["m1", None, "m1"]
    layout[1] = layout  # a cycle must not hang the parser
    return layout


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"arch_layout": ["m1", ["T1"]]}, "arch_layout"),
        ({"arch_layout": ["m1", "T1", "m1"]}, r"arch_layout\[1\]"),
        ({"arch_layout": ["x4", ["T1"], "m1"]}, r"arch_layout\[0\]"),
        ({"arch_layout": ["m1", ["T 1"], "m1"]}, "layout string"),
        ({"arch_layout": "m4"}, "arch_layout"),
        ({"arch_layout": _self_nested()}, "deeper"),
        ({"d_model": [64]}, "d_model has 1 entries"),
        ({"d_model": [64, "128"]}, r"d_model\[1\]"),
        ({"d_model": [64, True]}, r"d_model\[1\]"),
        ({"d_model": [0, 128]}, r"d_model\[0\]"),
        ({"d_intermediate": [0, -5]}, r"d_intermediate\[1\]"),
        ({"d_intermediate": None}, "d_intermediate"),
        ({"d_model": [64, 129]}, "num_heads"),
        ({"d_model": [72, 128]}, "Mamba2"),
        ({"ssm_cfg": {"headdim": 32}}, "unknown keys"),
        ({"ssm_cfg": {"d_state": [16]}}, "ssm_cfg.d_state"),
        ({"ssm_cfg": []}, "ssm_cfg must be a mapping"),
        ({"attn_cfg": {"num_heads": [2], "rotary_emb_dim": [16, 16], "window_size": [-1, -1]}},
         "num_heads"),
        ({"attn_cfg": {}}, "attn_cfg.num_heads is missing"),
        ({"attn_cfg": {"num_heads": [2, 3], "rotary_emb_dim": [16, 16], "window_size": [-1, -1]}},
         "not divisible"),
        ({"vocab_size": 0}, "vocab_size"),
        ({"tie_embeddings": "yes"}, "tie_embeddings"),
    ],
)
def test_invalid_config_raises_value_error(overrides: dict[str, Any], match: str) -> None:
    config = tiny_config(**overrides)
    with pytest.raises(ValueError, match=match):
        build_model_info(config)
    with pytest.raises(ValueError):
        param_shapes(config)


@pytest.mark.parametrize("config", [None, [], "config", 3])
def test_non_mapping_raises(config: Any) -> None:
    with pytest.raises(ValueError, match="mapping"):
        build_model_info(config)


def test_attention_settings_optional_where_unused() -> None:
    """Stage 0 has only Mamba layers, so its attention values are placeholders."""
    config = tiny_config(attn_cfg={"num_heads": [2, 2], "rotary_emb_dim": [16, 16], "window_size": [-1, -1]})
    config["attn_cfg"] = {"num_heads": [7, 2], "rotary_emb_dim": [0, 16], "window_size": [-1, -1]}
    info = build_model_info(config)
    assert info.stages[0].attn_head_dim is None  # 64 % 7 != 0, harmless without attention


def test_unknown_top_level_keys_are_ignored() -> None:
    assert build_model_info(tiny_config(comment="hi")).total_params == build_model_info(tiny_config()).total_params


def test_placeholder_attention_values_may_be_odd_where_unused() -> None:
    config = tiny_config()
    config["attn_cfg"] = {"num_heads": ["x", 2], "rotary_emb_dim": [None, 16], "window_size": [-1, -1]}
    assert build_model_info(config).stages[0].attn_head_dim is None
