"""``--format github``: workflow commands that GitHub turns into annotations.

GitHub shows at most 10 error, 10 warning and 10 notice annotations per step and drops the
rest silently, which is how yamllint and lintr users lost findings. So the most severe
findings are annotated first, one ``::notice::`` says how many were not, and every finding
is also printed as a plain log line. When ``$GITHUB_STEP_SUMMARY`` is set, a Markdown job
summary is appended there as well (see :mod:`.summary`).
"""

from __future__ import annotations

import os

from ..diagnostics import Diagnostic, Severity
from .text import headline, hidden_counts, summary_line

__all__ = ["render", "annotation", "escape_data", "escape_property", "ANNOTATION_CAP"]

#: Annotations GitHub keeps per step and per kind.
ANNOTATION_CAP = 10
_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message the way the runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Properties additionally need ``:`` and ``,``, which delimit them, escaped."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(diag: Diagnostic) -> str:
    """One ``::error file=...::message`` line."""
    span = diag.span
    props = [("file", span.file), ("line", str(span.line)), ("endLine", str(span.end_line))]
    # GitHub rejects column ranges that span lines (ruff#22074), so drop them there.
    if span.end_line == span.line:
        props += [("col", str(span.column)), ("endColumn", str(span.end_column))]
    title = f"{diag.code} ({diag.name})" if diag.name else diag.code
    props.append(("title", title))
    body = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    message = diag.message if not diag.key else f"{diag.message} (at {diag.key})"
    return f"::{_COMMAND[diag.severity]} {body}::{escape_data(message)}"


def _ordered(diags: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(diags, key=lambda d: (-d.severity, d.span, d.code))


def annotations(diags: list[Diagnostic], cap: int = ANNOTATION_CAP) -> list[str]:
    """Annotation lines within the per-kind cap, plus one notice about the rest."""
    ordered = _ordered(diags)
    used = {sev: 0 for sev in Severity}
    overflow = sum(max(0, n - cap) for n in _per_kind(ordered).values())
    # The overflow notice is itself a notice; keep a slot for it.
    limits = {sev: cap for sev in Severity}
    if overflow:
        limits[Severity.INFO] = cap - 1
        overflow = sum(max(0, n - limits[s]) for s, n in _per_kind(ordered).items())
    out = []
    for diag in ordered:
        if used[diag.severity] < limits[diag.severity]:
            used[diag.severity] += 1
            out.append(annotation(diag))
    if overflow:
        out.append(
            f"::notice title=hnet-lint::{overflow} more finding"
            f"{'s were' if overflow != 1 else ' was'} not annotated (GitHub shows "
            f"{cap} per kind per step); the full list is in this log, the SARIF file and "
            "the job summary"
        )
    return out


def _per_kind(diags: list[Diagnostic]) -> dict[Severity, int]:
    counts = {sev: 0 for sev in Severity}
    for diag in diags:
        counts[diag.severity] += 1
    return counts


def render(report, ctx) -> str:
    active = report.active
    lines = annotations(active)
    if active:
        lines.append("::group::hnet-lint: all findings")
        lines.extend(headline(d) for d in _ordered(active))
        lines.append("::endgroup::")
    lines.append(summary_line(active, len(report.files), *hidden_counts(report),
                              skipped=len(report.skipped)))
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if target:
        from .summary import append_summary

        append_summary(report, target)
    return "\n".join(lines) + "\n"
