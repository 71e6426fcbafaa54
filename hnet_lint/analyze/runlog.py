"""The typed result of reading a training log: per-field series of (step, value, where).

Every value keeps the line and columns it was read from, so a finding about step 12,345
points at the characters of that step's ``grad_norm`` in the log, like a static finding
points at a key in a config.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["Where", "Series", "RunLog"]


@dataclass(frozen=True, slots=True)
class Where:
    """Position of one value in the log file (1-based; ``end_column`` exclusive)."""

    line: int
    column: int = 1
    end_column: int = 1


@dataclass
class Series:
    """One metric over steps, in the order the log wrote it."""

    name: str
    steps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    where: list[Where] = field(default_factory=list)

    def append(self, step: int, value: float, where: Where) -> None:
        self.steps.append(step)
        self.values.append(value)
        self.where.append(where)

    def __len__(self) -> int:
        return len(self.values)

    def finite(self) -> Series:
        """The same series without NaN and Inf values."""
        out = Series(self.name)
        for s, v, w in zip(self.steps, self.values, self.where):
            if math.isfinite(v):
                out.append(s, v, w)
        return out

    def index_at_or_after(self, step: int) -> int | None:
        """Index of the first point at ``step`` or later."""
        return next((i for i, s in enumerate(self.steps) if s >= step), None)


@dataclass
class RunLog:
    """Everything read from one log file."""

    path: str
    format: str
    """``jsonl``, ``csv``, ``text`` or ``tensorboard``."""
    series: dict[str, Series] = field(default_factory=dict)
    lines: int = 0
    """Lines read (non-empty)."""
    skipped: list[int] = field(default_factory=list)
    """Line numbers that could not be read as metrics."""
    unknown_fields: set[str] = field(default_factory=set)
    """Field names seen that map to no canonical name (candidates for ``--map``)."""
    meta: dict = field(default_factory=dict)
    """What the log says it is: the first line's ``{"hnet_lint_curves": {...}}`` (the dry-run's
    curves: ``kind`` probe or smoke, ``steps_planned``, ``warmup``, ...); empty otherwise."""

    def get(self, name: str) -> Series | None:
        """A series by canonical name, or ``None`` when absent or empty."""
        series = self.series.get(name)
        return series if series else None

    def add(self, name: str, step: int, value: float, where: Where) -> None:
        self.series.setdefault(name, Series(name)).append(step, value, where)

    def indexed(self, prefix: str) -> dict[int, Series]:
        """Per-group or per-stage series: ``indexed("lr_group_")`` -> {0: ..., 1: ...}."""
        out = {}
        for name, series in self.series.items():
            if name.startswith(prefix) and name[len(prefix):].isdigit() and series:
                out[int(name[len(prefix):])] = series
        return dict(sorted(out.items()))

    @property
    def last_step(self) -> int | None:
        steps = [s.steps[-1] for s in self.series.values() if s]
        return max(steps) if steps else None
