"""Parameter totals and state_dict shapes against the instantiated official model."""

from __future__ import annotations

from typing import Any

import pytest

from hnet_lint.modelinfo import build_model_info, count_params, param_shapes

from .helpers import load_reference, tiny_config

# Hand count of tiny_config() (d=[64,128], d_state 16, expand 2, d_conv 4, F'=128):
#   stage 0 Mamba2(64): in_proj (2*128+2*16+2)*64=18560, conv (128+32)*(4+1)=800, 3*h=6,
#     norm 128, out_proj 64*128=8192 -> 27686; m block +norm1 64 -> 27750; Isotropic +64 -> 27814
#   stage 0: enc + dec 2*27814, routing 2*64^2=8192, residual_proj 64^2+64=4160 -> 67980
#   stage 1: T block 2*128 + 4*128^2 + 3*128*128 = 114944; Isotropic +128; pad 64 -> 115136
#   embeddings + lm_head 2*256*64 = 32768
TINY_STAGE_PARAMS = (67980, 115136)
TINY_TOTAL = 67980 + 115136 + 32768


def test_total_matches_instantiated_model(reference: dict[str, Any]) -> None:
    assert count_params(reference["config"]) == reference["total_params"]
    assert build_model_info(reference["config"]).total_params == reference["total_params"]


def test_shapes_match_state_dict_in_order(reference: dict[str, Any]) -> None:
    shapes = param_shapes(reference["config"])
    expected = [(key, tuple(shape)) for key, shape in reference["params"].items()]
    assert list(shapes.items()) == expected
    assert len(shapes) == reference["num_tensors"]


def test_stage_breakdown_sums_to_total(reference: dict[str, Any]) -> None:
    info = build_model_info(reference["config"])
    assert info.embedding_params + sum(info.params_per_stage) == info.total_params
    for stage in info.stages:
        assert stage.param_breakdown.total == stage.params


def test_worked_example_2stage_xl() -> None:
    """The per-part numbers of the reference README's worked example."""
    info = build_model_info(load_reference("hnet_2stage_XL")["config"])
    s0, s1, s2 = (stage.param_breakdown for stage in info.stages)
    assert s0.encoder + s0.decoder == 52_810_496
    assert s0.routing + s0.residual_proj == 3_146_752
    assert (s1.pad, s1.encoder + s1.decoder, s1.routing + s1.residual_proj) == (512, 173_785_216, 7_079_424)
    assert (s2.pad, s2.main) == (512, 1_366_145_024)
    assert info.embedding_params == 524_288


def test_tiny_config_by_hand() -> None:
    info = build_model_info(tiny_config())
    assert info.params_per_stage == TINY_STAGE_PARAMS
    assert info.total_params == TINY_TOTAL


def test_tied_embeddings_counted_once() -> None:
    tied = build_model_info(tiny_config(tie_embeddings=True))
    assert tied.total_params == TINY_TOTAL - 256 * 64
    assert tied.embedding_params == 256 * 64
    assert count_params(tiny_config(tie_embeddings=True)) == tied.total_params
    # state_dict() still lists the shared tensor under both names; named_parameters() does not
    assert "lm_head.weight" in param_shapes(tiny_config(tie_embeddings=True))
    assert "lm_head.weight" not in param_shapes(tiny_config(tie_embeddings=True), dedupe_tied=True)


def test_uppercase_mamba_lowercase_attention_and_ffn_rounding() -> None:
    config = {
        "arch_layout": ["M2t3"],
        "d_model": [256],
        "d_intermediate": [300],  # SwiGLU rounds up to 384
        "attn_cfg": {"num_heads": [4], "rotary_emb_dim": [32], "window_size": [-1]},
    }
    # Mamba2(256), d_inner 512, h 8, N 128: in_proj 256*(1024+256+8) + conv (512+256)*5 + 24
    #   + norm 512 + out_proj 512*256 = 465176
    m_block = 2 * 256 + 465_176 + 3 * 256 * 384  # M: two norms, mixer, SwiGLU(384)
    t_block = 256 + 4 * 256 * 256  # t: one norm, attention, no MLP
    expected = 2 * m_block + 3 * t_block + 256 + 2 * 256 * 256
    assert count_params(config) == expected
    shapes = param_shapes(config)
    assert shapes["backbone.main_network.layers.1.mlp.fc1.weight"] == (768, 256)
    assert shapes["backbone.main_network.layers.1.mlp.fc2.weight"] == (256, 384)
    assert "backbone.main_network.layers.2.norm2.weight" not in shapes
    assert "backbone.main_network.layers.2.mlp.fc1.weight" not in shapes


def test_zero_stage_model_has_no_routing_or_pad() -> None:
    config = {"arch_layout": ["m2"], "d_model": [128], "d_intermediate": [0]}
    shapes = param_shapes(config)
    assert not any("routing" in key or "pad_dimension" in key for key in shapes)
    assert build_model_info(config, target_ratios=[]).num_stages == 0


@pytest.mark.parametrize("d_model, pads", [([64, 64], 0), ([64, 96], 32)])
def test_pad_dimension_only_when_width_grows(d_model: list[int], pads: int) -> None:
    shapes = param_shapes(tiny_config(d_model=d_model))
    assert shapes.get("backbone.main_network.pad_dimension", (0,)) == (pads,)
