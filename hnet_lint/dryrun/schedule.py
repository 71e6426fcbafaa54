"""The LR schedule as a pure function: ``lr_factor(step, schedule)`` in [0, 1] times the base LR.

Torch-free. Conventions (HF ``get_*_schedule_with_warmup``): optimizer step ``t`` counts from 0;
warmup is linear ``t / W`` (so step 0 runs at LR 0); after warmup the shape decays from 1 to
``min_lr / lr`` (a floor in absolute LR, as the config writes it). ``hnet_lint/schedules.py`` on
another branch will own this later; keep the two in agreement when they are unified.

WSD: warmup ``W``, stable until ``(warmup_ratio + stable_ratio) * T``, then decays over
``decay_ratio * T`` with ``decay_type`` (progress q in [0, 1]):
linear ``1 - q``; cosine ``(1 + cos(pi q)) / 2``; sqrt ``1 - sqrt(q)``;
inverse_sqrt ``(1/sqrt(1 + 15 q) - 1/4) / (3/4)`` (our reading: 1 -> 0 with the 1/sqrt shape);
exponential ``floor ** q`` (geometric down to the floor, floor >= 1e-3).
"""

from __future__ import annotations

import math
from typing import Any, Mapping

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


def _decay_shape(kind: str, q: float, floor: float) -> float:
    q = min(max(q, 0.0), 1.0)
    if kind == "linear":
        return 1.0 - q
    if kind == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * q))
    if kind == "sqrt":
        return 1.0 - math.sqrt(q)
    if kind == "inverse_sqrt":
        return (1.0 / math.sqrt(1.0 + 15.0 * q) - 0.25) / 0.75
    if kind == "exponential":
        return max(floor, 1e-3) ** q
    raise ValueError(f"unknown decay shape {kind!r}")


def lr_factor(step: int, schedule: Any, base_lr: float | None = None) -> float:
    """Multiplier of the base LR at optimizer step ``step`` (0-based).

    ``base_lr`` turns ``min_lr`` (absolute) into the floor ratio; without it the floor is 0.
    """
    s = schedule_dict(schedule)
    name = s.get("name") or "constant"
    W = warmup_steps(s)
    T = total_steps(s)
    floor = (s.get("min_lr") or 0.0) / base_lr if base_lr else 0.0
    floor = min(max(floor, 0.0), 1.0)
    if step < W:
        return step / W
    if name == "constant" or T is None:
        return 1.0
    if name in ("cosine", "linear"):
        q = (step - W) / max(1, T - W)
        shape = _decay_shape(name, q, floor)
    elif name == "wsd":
        stable_end = W + int(round((s.get("stable_ratio") or 0.0) * T))
        decay_len = int(round((s.get("decay_ratio") or 0.0) * T)) or max(1, T - stable_end)
        if step < stable_end:
            return 1.0
        shape = _decay_shape(s.get("decay_type") or "linear", (step - stable_end) / decay_len, floor)
    else:
        raise ValueError(f"unknown schedule {name!r}")
    if name == "wsd" and (s.get("decay_type") == "exponential"):
        return shape  # already ends at the floor
    return floor + (1.0 - floor) * shape
