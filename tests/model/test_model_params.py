"""State-dict compatibility with the official H-Net, and config parsing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from hnet_lint.model.config import HNetConfig, num_stages, parse_layout
from hnet_lint.model.hnet import HNetForCausalLM

from ..conftest import OFFICIAL_CONFIGS as CONFIGS
from ..conftest import OFFICIAL_PARAMS_DIR as REF_DIR



def _ref(name: str) -> dict:
    path = REF_DIR / f"{name}.json"
    if not path.exists():
        pytest.skip(f"reference file {path} not available")
    return json.loads(path.read_text())


@pytest.mark.parametrize("name", CONFIGS)
def test_state_dict_matches_official(name: str) -> None:
    ref = _ref(name)
    with torch.device("meta"):
        model = HNetForCausalLM(HNetConfig.from_dict(ref["config"]))
    ours = [(k, list(v.shape)) for k, v in model.state_dict().items()]
    assert ours == list(ref["params"].items())  # names, shapes AND order
    assert len(ours) == ref["num_tensors"]
    assert sum(p.numel() for p in model.parameters()) == ref["total_params"]
    # The rotary inv_freq buffer exists but is non-persistent (a strict load would fail otherwise).
    assert any(n.endswith("rotary_emb.inv_freq") for n, _ in model.named_buffers())


@pytest.mark.parametrize("name", ["hnet_1stage_L", "hnet_2stage_XL"])
def test_bf16_build_dtypes_match_official(name: str) -> None:
    ref = _ref(name)
    with torch.device("meta"):
        model = HNetForCausalLM(HNetConfig.from_dict(ref["config"]), dtype=torch.bfloat16)
    ours = {k: str(v.dtype).replace("torch.", "") for k, v in model.state_dict().items()}
    assert ours == {k: v.replace("torch.", "") for k, v in ref["dtypes_when_built_bf16"].items()}


def test_strict_load_roundtrip_tiny() -> None:
    from hnet_lint.model.config import DEBUG_2STAGE

    a = HNetForCausalLM(HNetConfig.from_dict(DEBUG_2STAGE))
    b = HNetForCausalLM(HNetConfig.from_dict(DEBUG_2STAGE))
    b.load_state_dict(a.state_dict(), strict=True)


def test_official_heights_give_documented_n_residuals() -> None:
    # facts §2.4: cumulative n_res [8, 20, 72] for 2stage_L and [8, 52] for 1stage_L.
    for name, expected in (("hnet_2stage_L", [8, 20, 72]), ("hnet_1stage_L", [8, 52])):
        with torch.device("meta"):
            net = HNetForCausalLM(HNetConfig.from_dict(_ref(name)["config"])).backbone
        got, n = [], 0
        while not net.is_innermost:
            n += net.encoder.height + net.decoder.height
            got.append(n)
            net = net.main_network
        got.append(n + net.main_network.height)
        assert got == expected


def test_layout_grammar() -> None:
    assert parse_layout("T1m4") == [("T", 1), ("m", 4)]
    assert parse_layout("M12t3") == [("M", 12), ("t", 3)]
    for bad in ("x4", "m4 ", "m0", "m", "", "4m", "m04", "T1-m4"):
        with pytest.raises(ValueError):
            parse_layout(bad)
    assert num_stages(["T22"]) == 0
    assert num_stages(["m4", ["T1m4", ["T26"], "m4T1"], "m4"]) == 2
    with pytest.raises(ValueError):
        num_stages(["m4", "T22", "m4"])


def test_config_roundtrip_and_stage_cfg() -> None:
    ref = _ref("hnet_2stage_L")["config"]
    cfg = HNetConfig.from_dict(ref)
    assert HNetConfig.from_dict(cfg.to_dict()) == cfg
    s2 = cfg.stage_cfg(2)
    assert (s2.d_model, s2.d_intermediate, s2.rotary_emb_dim, s2.window_size, s2.d_state) == (1536, 4096, 48, -1, 128)
    per_stage = dict(ref, ssm_cfg={"d_conv": 4, "expand": 2, "d_state": [64, 128, 128], "chunk_size": 256})
    assert HNetConfig.from_dict(per_stage).stage_cfg(0).d_state == 64
    with pytest.raises(TypeError):
        HNetConfig.from_dict(dict(ref, ssm_cfg={"headdim": 64}))
    with pytest.raises(ValueError):
        HNetConfig.from_dict(dict(ref, d_model=[1024, 1024]))


def test_config_module_does_not_import_torch() -> None:
    code = "import sys, hnet_lint.model, hnet_lint.model.config; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


@pytest.mark.parametrize("name", ["hnet_1stage_XL", "hnet_2stage_XL_chinese"])
def test_official_key_set_loads_strictly(name: str) -> None:
    # A stand-in "checkpoint" with exactly the official keys and shapes (meta tensors, no data).
    ref = _ref(name)
    with torch.device("meta"):
        model = HNetForCausalLM(HNetConfig.from_dict(ref["config"]))
        checkpoint = {k: torch.empty(shape) for k, shape in ref["params"].items()}
    result = model.load_state_dict(checkpoint, strict=True, assign=True)
    assert not result.missing_keys and not result.unexpected_keys


@pytest.mark.parametrize("overrides", [
    {},
    {"arch_layout": ["M2", ["t3M1"], "m1T1"], "d_intermediate": [256, 384]},  # M and t letters
    {"tie_embeddings": True},
    {"d_intermediate": [0, 300]},  # SwiGLU rounds 300 up to 384
    {"arch_layout": ["T2"], "d_model": [128], "d_intermediate": [256],
     "attn_cfg": {"num_heads": [4], "rotary_emb_dim": [16], "window_size": [-1]}},
])
def test_model_info_counts_equal_the_built_model(overrides: dict) -> None:
    """`hnet-lint model-info` is analytic (no torch); its totals and shapes must be the
    model's own, including the cases the official configs never exercise."""
    from hnet_lint.modelinfo import count_params, param_shapes

    config = {
        "arch_layout": ["m2", ["T2"], "m2"], "d_model": [128, 192], "d_intermediate": [0, 384],
        "vocab_size": 256, "ssm_cfg": {"d_conv": 4, "expand": 2, "d_state": 32, "chunk_size": 64},
        "attn_cfg": {"num_heads": [4, 4], "rotary_emb_dim": [16, 16], "window_size": [63, -1]},
        "tie_embeddings": False,
    }
    config.update(overrides)
    with torch.device("meta"):
        model = HNetForCausalLM(HNetConfig.from_dict(config))
    built = {name: tuple(p.shape) for name, p in model.state_dict().items()}
    assert param_shapes(config) == built
    assert count_params(config) == sum(p.numel() for p in model.parameters())


def test_static_decay_rule_counts_what_the_official_grouping_decays() -> None:
    """HNL403 (static, no torch) predicts from names and shapes alone which tensors the
    official `group_params` decays although they should not; the built model agrees."""
    from hnet_lint.model.training import group_params_official
    from hnet_lint.modelinfo import param_shapes
    from hnet_lint.check.rules.decay import official_decayed, should_not_decay

    config = json.loads((REF_DIR.parents[2] / "examples" / "models" / "hnet_2stage_XL.json").read_text())
    with torch.device("meta"):
        model = HNetForCausalLM(HNetConfig.from_dict(config))
    model.apply_lr_multiplier([2.0, 1.5, 1.0])
    decayed = {name for group in group_params_official(model, with_names=True)
               if group.get("weight_decay", 0.1) > 0 for name in group["names"]}
    shapes = param_shapes(config)
    predicted = {n for n, s in shapes.items() if official_decayed(n) and should_not_decay(n, s)}
    actual = {n for n in decayed if should_not_decay(n, shapes[n])}
    assert predicted == actual and len(actual) == 129
