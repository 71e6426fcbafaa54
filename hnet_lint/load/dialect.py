"""Which of the three config dialects a parsed document is written in (no pydantic needed)."""

from __future__ import annotations

from typing import Any

import re

__all__ = ["DIALECTS", "detect_dialect", "shows_dialect_keys"]

DIALECTS = ("native", "flat", "model")

_FLAT_HINTS = {"model_config", "learning_rate", "lr_multipliers", "num_training_steps",
               "max_grad_norm", "downsampling_factors", "load_balancing_weight"}


def detect_dialect(data: Any) -> str | None:
    """``native`` (has ``model``), ``model`` (has ``arch_layout``), ``flat`` (has flat
    trainer keys), or ``None`` when the document looks like none of them."""
    if not isinstance(data, dict):
        return None
    if "arch_layout" in data:
        return "model"
    if "model" in data:
        return "native"
    if _FLAT_HINTS & data.keys():
        return "flat"
    return None


#: Keys only an H-Net config writes: the model dialect's, the flat trainer's, and ``model``
#: at the top of a YAML file or quoted in JSON (the native dialect's required key).
_MARKERS = ("arch_layout", "d_model", "ssm_cfg", "attn_cfg", *sorted(_FLAT_HINTS))
_MARKER_RE = re.compile(
    r"""(?m)(?:^[ \t]*(?:-[ \t]+)?|["'])(?:%s)["']?[ \t]*:|^model[ \t]*:|["']model["'][ \t]*:"""
    % "|".join(_MARKERS))


def shows_dialect_keys(text: str) -> bool:
    """Whether raw text (which may not parse) writes a key of any H-Net dialect.

    Decides whether a file found while walking a folder that fails to parse (a Helm
    template, a multi-document stream, binary junk) is someone's broken H-Net config,
    reported as HNL000, or some other file, skipped.
    """
    return _MARKER_RE.search(text) is not None
