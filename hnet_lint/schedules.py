"""Learning-rate schedules as pure functions of the optimizer step (no torch).

Used by ``hnet-lint analyze`` to compare a logged LR with the configured one, and meant for
the dry-run to drive its optimizer. Conventions (stated because trainers differ by a step):

* Steps count from 0. During warmup ``lr = peak * step / warmup_steps`` (Hugging Face's
  ``get_*_schedule_with_warmup``), so step 0 trains at LR 0 and step ``warmup_steps`` at peak.
  Trainers that use ``(step + 1) / warmup`` differ by one step; the analyzer allows that.
* After warmup the *progress* ``p = (step - warmup) / (total - warmup)`` runs from 0 to 1 and
  is clamped, so steps past ``total_steps`` stay at ``min_lr``.
* ``wsd`` (warmup-stable-decay) holds the peak for ``stable_ratio * total`` steps and decays
  over the last ``decay_ratio * total`` steps. When only one ratio is given the other fills
  the rest of the run.

Decay shapes, as a fraction ``f(q)`` of the way from ``min_lr`` (0) to peak (1), ``q`` in [0, 1]:
``linear`` 1-q; ``cosine`` (1+cos(pi q))/2; ``sqrt`` 1-sqrt(q) (Hägele et al. 2024);
``inverse_sqrt`` and ``exponential`` are defined on the LR itself so that they end exactly at
``min_lr``: ``peak / sqrt(1 + q (r^-2 - 1))`` and ``peak * r^q`` with ``r = min_lr / peak``
(floored at 1e-3 when ``min_lr`` is 0, since both shapes never reach zero).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["Schedule", "lr_at", "schedule_from_config", "SCHEDULE_NAMES", "DECAY_TYPES"]

SCHEDULE_NAMES = ("cosine", "linear", "constant", "wsd")
DECAY_TYPES = ("linear", "cosine", "sqrt", "inverse_sqrt", "exponential")
_MIN_RATIO_FLOOR = 1e-3


@dataclass(frozen=True)
class Schedule:
    """A configured schedule; :meth:`lr` gives the LR at a step (before per-group multipliers)."""

    peak_lr: float
    total_steps: int
    name: str = "cosine"
    warmup_steps: int = 0
    min_lr: float = 0.0
    stable_ratio: float | None = None
    decay_ratio: float | None = None
    decay_type: str = "linear"

    def __post_init__(self) -> None:
        if self.name not in SCHEDULE_NAMES:
            raise ValueError(f"unknown schedule {self.name!r}; one of {', '.join(SCHEDULE_NAMES)}")
        if self.decay_type not in DECAY_TYPES:
            raise ValueError(f"unknown decay_type {self.decay_type!r}")

    def lr(self, step: float) -> float:
        """LR at ``step`` for a group whose multiplier is 1."""
        return lr_at(step, self)

    def warmup_end(self) -> int:
        """First step at peak LR."""
        return min(self.warmup_steps, self.total_steps)


def _decay_fraction(kind: str, q: float, peak: float, low: float) -> float:
    """LR at decay progress ``q`` in [0, 1], from ``peak`` down to ``low``."""
    q = min(max(q, 0.0), 1.0)
    if kind == "linear":
        return low + (peak - low) * (1.0 - q)
    if kind == "cosine":
        return low + (peak - low) * 0.5 * (1.0 + math.cos(math.pi * q))
    if kind == "sqrt":
        return low + (peak - low) * (1.0 - math.sqrt(q))
    # The two shapes below never reach zero, so they aim at a positive floor.
    ratio = max(low / peak, _MIN_RATIO_FLOOR) if peak > 0 else 1.0
    if kind == "inverse_sqrt":
        return peak / math.sqrt(1.0 + q * (ratio ** -2 - 1.0))
    return peak * ratio ** q  # exponential


def _wsd_phases(s: Schedule) -> tuple[float, float]:
    """(first decay step, decay length) of a wsd schedule."""
    after = max(s.total_steps - s.warmup_steps, 0)
    if s.decay_ratio is not None:
        decay = s.decay_ratio * s.total_steps
    elif s.stable_ratio is not None:
        decay = after - s.stable_ratio * s.total_steps
    else:
        decay = 0.2 * s.total_steps  # the common 20 % cooldown
    decay = min(max(decay, 0.0), after)
    return s.total_steps - decay, decay


def lr_at(step: float, s: Schedule) -> float:
    """The LR of schedule ``s`` at ``step`` (see the module docstring for conventions)."""
    peak, low = s.peak_lr, min(s.min_lr, s.peak_lr)
    if s.warmup_steps > 0 and step < s.warmup_steps:
        return peak * max(step, 0) / s.warmup_steps
    if s.name == "constant":
        return peak
    if s.name == "wsd":
        start, length = _wsd_phases(s)
        if step < start or length <= 0:
            return peak
        return _decay_fraction(s.decay_type, (step - start) / length, peak, low)
    span = max(s.total_steps - s.warmup_steps, 1)
    kind = "cosine" if s.name == "cosine" else "linear"
    return _decay_fraction(kind, (step - s.warmup_steps) / span, peak, low)


def schedule_from_config(lr: float | None, section: Any) -> Schedule | None:
    """Build a :class:`Schedule` from a base LR and a normalized ``schedule`` section
    (``hnet_lint.load.schema.ScheduleSection``). ``None`` when the LR or the length is unknown."""
    if lr is None or section is None or not section.total_steps:
        return None
    total = int(section.total_steps)
    if section.warmup_steps is not None:
        warmup = int(section.warmup_steps)
    elif section.warmup_ratio is not None:
        warmup = int(round(section.warmup_ratio * total))
    else:
        warmup = 0
    return Schedule(
        peak_lr=float(lr), total_steps=total, name=section.name, warmup_steps=warmup,
        min_lr=float(section.min_lr or 0.0), stable_ratio=section.stable_ratio,
        decay_ratio=section.decay_ratio, decay_type=section.decay_type or "linear",
    )
