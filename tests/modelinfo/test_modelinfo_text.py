"""The plain-text report names every section and survives models without chunking stages."""

from __future__ import annotations

from hnet_lint.modelinfo import build_model_info, format_model_info

from .helpers import load_reference


def test_sections_and_numbers() -> None:
    text = format_model_info(build_model_info(load_reference("hnet_2stage_XL")["config"]))
    for needle in ("1,603,492,224", "Parameters", "Structure and init", "FLOPs", "Memory", "0.00707"):
        assert needle in text


def test_zero_stage_tied_model() -> None:
    config = {"arch_layout": ["m2"], "d_model": [128], "d_intermediate": [0], "tie_embeddings": True}
    text = format_model_info(build_model_info(config))
    assert "S = 0" in text and "tied" in text and "target ratios N = none" in text
