"""Small statistics over plain lists: medians, running z-scores, least-squares slopes.

Pure Python on purpose (a few thousand points per series), so the readers and detectors
run without numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

__all__ = ["median", "mean_std", "ZEvent", "zscore_events", "slope", "num", "pct"]


def median(values: Sequence[float]) -> float:
    """Median of a non-empty sequence."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else 0.5 * (ordered[mid - 1] + ordered[mid])


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and population standard deviation."""
    n = len(values)
    mean = sum(values) / n
    return mean, math.sqrt(max(sum((v - mean) ** 2 for v in values) / n, 0.0))


@dataclass(frozen=True)
class ZEvent:
    """A run of consecutive points above the threshold (indices into the series)."""

    start: int
    end: int
    peak: int
    peak_z: float
    mean: float
    std: float
    """Expected value (trend prediction) and residual sigma at the first flagged point."""


def zscore_events(values: Sequence[float], window: int, threshold: float,
                  min_history: int, min_rel_std: float = 0.0) -> list[ZEvent]:
    """Points more than ``threshold`` sigma above what the previous ``window`` accepted
    points predict, grouped into events.

    OLMo-core's StabilityMonitor compares with the window's plain mean. We fit a straight
    line to the window instead and use its prediction and residual sigma: a loss that is
    still falling steeply otherwise inflates sigma with its own trend and hides real
    spikes. On a flat loss the two rules agree.

    Flagged points do not enter the history, so a run that leaves its baseline for good
    stays flagged instead of teaching the window a new normal. Non-finite values are left
    to the NaN detector and skipped here. Sigma is floored at ``min_rel_std * |mean|`` so a
    nearly flat series does not flag rounding noise.
    """
    history: list[float] = []
    events: list[ZEvent] = []
    current: list[tuple[int, float, float, float]] = []  # (index, z, mean, std)
    for i, value in enumerate(values):
        if not math.isfinite(value):
            continue
        z = None
        if len(history) >= min_history:
            mean, std = _trend(history[-window:])
            std = max(std, min_rel_std * abs(mean))
            z = (value - mean) / std if std > 0 else 0.0
        if z is not None and z > threshold:
            current.append((i, z, mean, std))
            continue
        if current:
            events.append(_event(current))
            current = []
        history.append(value)
    if current:
        events.append(_event(current))
    return events


def _trend(values: Sequence[float]) -> tuple[float, float]:
    """Least-squares line through ``values`` (at positions 0..n-1): its prediction for
    position n and the residual standard deviation."""
    n = len(values)
    xs = range(n)
    mx, my = (n - 1) / 2, sum(values) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, values)) / sxx if sxx else 0.0
    resid = sum((y - my - b * (x - mx)) ** 2 for x, y in zip(xs, values))
    return my + b * (n - mx), math.sqrt(resid / max(n - 2, 1))


def _event(points: list[tuple[int, float, float, float]]) -> ZEvent:
    peak = max(points, key=lambda p: p[1])
    return ZEvent(points[0][0], points[-1][0], peak[0], peak[1], points[0][2], points[0][3])


def slope(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares slope of ``ys`` over ``xs`` and its standard error (inf when n < 3)."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if n < 3 or sxx == 0:
        return 0.0, math.inf
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    resid = sum((y - my - b * (x - mx)) ** 2 for x, y in zip(xs, ys))
    return b, math.sqrt(resid / (n - 2) / sxx)


def num(value: float) -> str:
    """Numbers for messages: 1,810 / 0.86 / 3.00e-04 / nan."""
    if not math.isfinite(value):
        return str(value)
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) < 0.01:
        return f"{value:.2e}"
    return f"{value:.3g}"


def pct(fraction: float) -> str:
    """0.4321 -> '43.2%'."""
    return f"{100 * fraction:.1f}%"
