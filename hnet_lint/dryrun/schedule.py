"""The LR schedule as the dry-run uses it: ``lr_factor(step, schedule)``, the fraction of
the base LR at an optimizer step.

A thin adapter over :mod:`hnet_lint.schedules`, the one implementation of the schedule
shapes that ``hnet-lint analyze`` also compares logged LRs against, so the dry-run drives
its optimizer with exactly the curve the analyzer expects. Torch-free.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..schedules import Schedule

__all__ = ["lr_factor", "warmup_steps", "total_steps", "schedule_dict"]


def schedule_dict(schedule: Any) -> dict[str, Any]:
    """Accept a pydantic ScheduleSection, a mapping or None (constant LR)."""
    if schedule is None:
        return {"name": "constant"}
    if isinstance(schedule, Mapping):
        return dict(schedule)
    return schedule.model_dump()


def total_steps(schedule: Any) -> int | None:
    s = schedule_dict(schedule)
    total = s.get("total_steps")
    return int(total) if total else None


def warmup_steps(schedule: Any) -> int:
    """Warmup length in optimizer steps (``warmup_steps`` wins over ``warmup_ratio``)."""
    s = schedule_dict(schedule)
    if s.get("warmup_steps") is not None:
        return int(s["warmup_steps"])
    ratio, total = s.get("warmup_ratio"), total_steps(s)
    if ratio and total:
        return int(round(ratio * total))
    return 0


def lr_factor(step: int, schedule: Any, base_lr: float | None = None) -> float:
    """Multiplier of the base LR at optimizer step ``step`` (0-based).

    ``base_lr`` turns ``min_lr`` (absolute) into the floor; without it the floor is 0. A
    schedule without ``total_steps`` holds its peak after warmup.
    """
    s = schedule_dict(schedule)
    warm = warmup_steps(s)
    total = total_steps(s)
    name = s.get("name") or "constant"
    if total is None:
        name, total = "constant", max(warm, 1)
    peak = base_lr or 1.0
    curve = Schedule(
        peak_lr=peak, total_steps=total, name=name, warmup_steps=warm,
        min_lr=float(s.get("min_lr") or 0.0) if base_lr else 0.0,
        stable_ratio=s.get("stable_ratio"), decay_ratio=s.get("decay_ratio"),
        decay_type=s.get("decay_type") or "linear",
    )
    return curve.lr(step) / peak
