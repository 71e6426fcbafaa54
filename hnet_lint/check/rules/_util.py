"""Small helpers shared by rule modules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from ...load.runconfig import RunConfig

if TYPE_CHECKING:
    from ...load.schema import HNetModelConfig

__all__ = ["stage_value", "per_stage_lists", "stage_widths", "fmt_num"]


def stage_value(value: Any, stage: int) -> Any:
    """A scalar applies to every stage; a list is indexed per stage (``get_stage_cfg``).
    Returns ``None`` when the list is too short (another rule reports that)."""
    if isinstance(value, list):
        return value[stage] if stage < len(value) else None
    return value


def per_stage_lists(model: HNetModelConfig) -> Iterator[tuple[tuple, list]]:
    """Every list-valued per-stage field with its canonical path."""
    yield ("model", "d_model"), model.d_model
    yield ("model", "d_intermediate"), model.d_intermediate
    for name in ("num_heads", "rotary_emb_dim", "window_size"):
        yield ("model", "attn_cfg", name), getattr(model.attn_cfg, name)
    for name in ("d_conv", "expand", "d_state", "chunk_size"):
        value = getattr(model.ssm_cfg, name)
        if isinstance(value, list):
            yield ("model", "ssm_cfg", name), value


def stage_widths(run: RunConfig) -> list[int] | None:
    """d_model for stages 0..S, or ``None`` if the layout or widths are unusable."""
    if run.model is None or run.layout is None:
        return None
    widths = run.model.d_model
    return widths[: run.layout.width] if len(widths) >= run.layout.width else None


def fmt_num(value: float) -> str:
    """Compact number formatting for messages: 3e-04 -> 0.0003, 1234.5 -> 1234.5."""
    if value == 0:
        return "0"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
        return f"{value:.1f}"
    if abs(value) < 1e-3 or abs(value) >= 1e6:
        return f"{value:.3g}"
    return f"{value:.4g}"
