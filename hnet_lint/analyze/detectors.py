"""The analyze detectors, registered in an explicit list, and running them over a log.

Codes (each detector's docstring is its documentation; ``hnet-lint rule HNL9xx``):

HNL901 unreadable-log-lines, HNL902 non-finite-metric, HNL903 grad-norm-spike,
HNL904 loss-spike, HNL905 loss-divergence, HNL906 run-stopped-early,
HNL907 lr-multipliers-not-applied, HNL908 lr-group-ratio-mismatch,
HNL909 lr-schedule-mismatch, HNL910 compression-off-target,
HNL911 ratio-loss-off-target, HNL912 eval-gap-growing.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..diagnostics import Diagnostic, Span
from .codes import AnalyzeCode, DetectorContext, Detector, Expectations
from .detect_log import eval_gap_growing, non_finite, stopped_early, unreadable_lines
from .detect_lr import group_ratio_mismatch, multipliers_not_applied, schedule_mismatch
from .detect_routing import compression_off_target, ratio_loss_off_target
from .detect_spikes import grad_norm_spike, loss_divergence, loss_spike
from .runlog import RunLog

__all__ = ["ALL_DETECTORS", "analyze_codes", "run_detectors"]

ALL_DETECTORS: tuple[Detector, ...] = (
    unreadable_lines, non_finite, grad_norm_spike, loss_spike, loss_divergence,
    stopped_early, multipliers_not_applied, group_ratio_mismatch, schedule_mismatch,
    compression_off_target, ratio_loss_off_target, eval_gap_growing,
)


def analyze_codes() -> dict[str, AnalyzeCode]:
    """Code -> metadata, in code order."""
    table = {fn.__hnl_analyze__.code: fn.__hnl_analyze__ for fn in ALL_DETECTORS}
    return dict(sorted(table.items()))


def run_detectors(log: RunLog, expect: Expectations,
                  options: Mapping[str, Mapping[str, Any]] | None = None) -> list[Diagnostic]:
    """Every detector over one log. A crashing detector becomes an HNL012 finding naming
    it, and the others still run (a bug in hnet-lint must not hide the rest)."""
    out: list[Diagnostic] = []
    for fn in ALL_DETECTORS:
        meta: AnalyzeCode = fn.__hnl_analyze__  # type: ignore[attr-defined]
        ctx = DetectorContext(meta, log, expect, (options or {}).get(meta.code))
        try:
            out.extend(fn(log, ctx))
        except Exception as exc:  # noqa: BLE001
            from ..load.codes import make

            out.append(make("HNL012", Span.start_of(log.path),
                            f"detector {meta.code} ({meta.name}) crashed: "
                            f"{type(exc).__name__}: {exc}"))
    return sorted(out)
