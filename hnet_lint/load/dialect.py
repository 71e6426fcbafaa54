"""Which of the three config dialects a parsed document is written in (no pydantic needed)."""

from __future__ import annotations

from typing import Any

__all__ = ["DIALECTS", "detect_dialect"]

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
