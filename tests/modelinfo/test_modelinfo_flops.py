"""FLOPs-per-byte sanity: matmul term, attention scaling, stage fractions, training multiple."""

from __future__ import annotations

import pytest

from hnet_lint.modelinfo import build_model_info, count_params, mean_attended_length

from .helpers import load_reference


def _attn_only(layout: str = "T4", window: int = -1) -> dict:
    return {
        "arch_layout": [layout],
        "d_model": [256],
        "d_intermediate": [512],
        "attn_cfg": {"num_heads": [4], "rotary_emb_dim": [32], "window_size": [window]},
    }


def test_zero_stage_forward_is_about_two_flops_per_weight() -> None:
    config = _attn_only("m2T2")
    info = build_model_info(config, target_ratios=[], seq_len=512)
    non_embedding = count_params(config) - 2 * 256 * 256
    ratio = info.flops.forward_per_byte / (2 * non_embedding)
    assert 0.8 < ratio < 2.0  # attention and SSD add a little; norms/conv/biases are not matmuls


def test_matmul_term_counts_linear_weights_exactly() -> None:
    info = build_model_info(_attn_only("T4"), target_ratios=[], seq_len=64)
    (stage,) = info.flops.stages
    # per T layer: Wqkv 3D^2 + out_proj D^2 + fc1 2DF' + fc2 DF', 2 FLOPs per weight
    assert stage.matmul_per_position == 2 * 4 * (4 * 256**2 + 3 * 256 * 512)
    assert info.flops.lm_head_per_byte == 2 * 256 * 256
    assert stage.ssd_per_position == 0


def test_global_attention_scales_with_sequence_length() -> None:
    short = build_model_info(_attn_only(), target_ratios=[], seq_len=2048).flops.stages[0]
    long = build_model_info(_attn_only(), target_ratios=[], seq_len=4096).flops.stages[0]
    assert long.attention_per_position / short.attention_per_position == pytest.approx(4097 / 2049)
    assert short.attention_per_position == 4 * 4 * (2049 / 2) * 256  # 4 layers * 4*L_eff*D


def test_windowed_attention_saturates() -> None:
    a = build_model_info(_attn_only(window=255), target_ratios=[], seq_len=8192).flops.stages[0]
    b = build_model_info(_attn_only(window=255), target_ratios=[], seq_len=16384).flops.stages[0]
    assert b.attention_per_position / a.attention_per_position == pytest.approx(1.0, abs=0.02)
    assert a.attention_per_position < 4 * 4 * 256 * 256  # never more than the full window


@pytest.mark.parametrize(
    "length, window, expected",
    [(4, None, 2.5), (4, -1, 2.5), (4, 1, 7 / 4), (4, 3, 2.5), (4, 100, 2.5), (10, 0, 1.0)],
)
def test_mean_attended_length(length: int, window: int | None, expected: float) -> None:
    # window 1 over 4 positions attends to 1, 2, 2, 2 keys
    assert mean_attended_length(length, window) == pytest.approx(expected)


def test_stage_fractions_and_training_multiple() -> None:
    info = build_model_info(load_reference("hnet_2stage_XL")["config"], target_ratios=[3.0, 2.0])
    flops = info.flops
    assert [s.bytes_fraction for s in flops.stages] == pytest.approx([1.0, 1 / 3, 1 / 6])
    assert [s.positions_per_seq for s in flops.stages] == pytest.approx([8192, 8192 / 3, 8192 / 6])
    assert flops.train_per_byte == pytest.approx(3 * flops.forward_per_byte)
    assert flops.train_per_sequence == pytest.approx(flops.train_per_byte * 8192)
    total = flops.lm_head_per_byte + sum(s.forward_per_byte for s in flops.stages)
    assert flops.forward_per_byte == pytest.approx(total)


def test_ssd_formula_for_one_mamba_layer() -> None:
    config = {"arch_layout": ["m1"], "d_model": [128], "d_intermediate": [0],
              "ssm_cfg": {"d_state": 16, "chunk_size": 64}}
    long = build_model_info(config, target_ratios=[], seq_len=1024).flops.stages[0]
    short = build_model_info(config, target_ratios=[], seq_len=32).flops.stages[0]
    d_inner = 256
    assert long.ssd_per_position == 2 * 64 * (d_inner + 16) + 4 * 16 * d_inner
    assert short.ssd_per_position == 2 * 32 * (d_inner + 16) + 4 * 16 * d_inner  # chunk capped at L


def test_default_ratios() -> None:
    one = build_model_info(load_reference("hnet_1stage_L")["config"])
    two = build_model_info(load_reference("hnet_2stage_L")["config"])
    assert one.flops.target_ratios == (6.0,)
    assert two.flops.target_ratios == (3.0, 3.0)


@pytest.mark.parametrize("ratios", [[3.0], [3.0, 0.5], [3.0, float("nan")], [3.0, "3"]])
def test_bad_ratios_raise(ratios: list) -> None:
    with pytest.raises(ValueError, match="target ratio"):
        build_model_info(load_reference("hnet_2stage_L")["config"], target_ratios=ratios)
