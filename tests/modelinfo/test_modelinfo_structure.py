"""Heights, n_residuals, init stds and head counts of the official configs (goombalab/hnet
@ 3673fe1), derived by hand from the official code: layer counts of each ``arch_layout``,
``n_residuals`` as ``HNetForCausalLM.init_weights`` accumulates them, and the widths."""

from __future__ import annotations

import pytest

from hnet_lint.modelinfo import build_model_info

from .helpers import load_reference

# name: (heights per stage as (enc, dec) or main, n_res, out_proj std, attn head_dim,
#        Mamba2 heads, params in millions) -- derived by hand, independently of modelinfo
FACTS = {
    "hnet_1stage_L": ([(4, 4), 44], [8, 52], [0.00707, 0.00277], [64, 96], [32, 48], 679),
    "hnet_1stage_XL": ([(4, 4), 48], [8, 56], [0.00707, 0.00267], [64, 128], [32, 64], 1271),
    "hnet_2stage_L": ([(4, 4), (6, 6), 52], [8, 20, 72], [0.00707, 0.00447, 0.00236], [64, 64, 96],
                      [32, 32, 48], 874),
    "hnet_2stage_XL": ([(4, 4), (6, 6), 54], [8, 20, 74], [0.00707, 0.00447, 0.00232], [64, 96, 128],
                       [32, 48, 64], 1604),
}


@pytest.mark.parametrize("name", sorted(FACTS))
def test_facts_table(name: str) -> None:
    heights, n_res, stds, head_dims, mamba_heads, millions = FACTS[name]
    info = build_model_info(load_reference(name)["config"])
    for stage, expected in zip(info.stages, heights):
        if stage.innermost:
            assert stage.height("main") == expected
        else:
            assert (stage.height("encoder"), stage.height("decoder")) == expected
    assert [s.n_residuals for s in info.stages] == n_res
    assert [s.out_proj_std for s in info.stages] == pytest.approx(stds, abs=5e-6)
    assert all(s.init_std == 0.02 for s in info.stages)
    assert [s.attn_head_dim for s in info.stages] == head_dims
    assert [s.mamba_heads for s in info.stages] == mamba_heads
    # the facts table rounds loosely (1,603,492,224 is listed as 1604M); exact totals are in test_params
    assert abs(info.total_params / 1e6 - millions) < 1


@pytest.mark.parametrize("name", sorted(FACTS))
def test_dechunk_heads_only_at_outer_stages(name: str) -> None:
    """d/32 per outer stage; the innermost stage has no DeChunkLayer (hnet.py builds it with routing)."""
    info = build_model_info(load_reference(name)["config"])
    *outer, inner = info.stages
    assert [s.dechunk_heads for s in outer] == [s.d_model // 32 for s in outer]
    assert inner.dechunk_heads is None


def test_layer_counts_by_letter() -> None:
    info = build_model_info(load_reference("hnet_2stage_XL")["config"])
    s0, s1, s2 = (stage.layers for stage in info.stages)
    assert (s0.m, s0.M, s0.t, s0.T) == (8, 0, 0, 0)
    assert (s1.m, s1.T) == (8, 2)
    assert (s2.m, s2.T) == (0, 27)


def test_mixed_case_heights() -> None:
    config = {
        "arch_layout": ["M2t3"],
        "d_model": [256],
        "d_intermediate": [256],
        "attn_cfg": {"num_heads": [4], "rotary_emb_dim": [32], "window_size": [-1]},
    }
    (stage,) = build_model_info(config, target_ratios=[]).stages
    assert stage.height("main") == 2 * 2 + 3
    assert stage.out_proj_std == pytest.approx(0.02 / 7**0.5)
