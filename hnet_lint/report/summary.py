"""The Markdown job summary (``$GITHUB_STEP_SUMMARY``), rendered with jinja2.

GitHub refuses a step summary over 1 MiB, so the findings table is cut to fit with a note
pointing at the log and the SARIF. The template gets plain dicts; sorting and grouping
happen here.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..diagnostics import Diagnostic, Severity
from .links import rule_doc_url

__all__ = ["render", "render_summary", "append_summary", "summary_context", "SUMMARY_LIMIT"]

#: GitHub's per-step limit is 1 MiB; stay clear of it for what other steps append.
SUMMARY_LIMIT = 1024 * 1024 - 16 * 1024
_DYNAMIC_PHASES = {"build", "smoke", "probe", "watch"}


def _row(diag: Diagnostic) -> dict[str, Any]:
    return {
        "where": f"{diag.span.file}:{diag.span.line}",
        "code": diag.code,
        "url": rule_doc_url(diag.code),
        "severity": diag.severity.label,
        "message": _cell(diag.message),
        "key": diag.key,
    }


def _cell(text: str) -> str:
    """Text that cannot break a Markdown table row."""
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def summary_context(report) -> dict[str, Any]:
    """Everything the template shows, as plain data."""
    active = sorted(report.active, key=lambda d: (-d.severity, d.span, d.code))
    hidden = [d for d in report.diagnostics if d.suppressed]
    baselined = sum(1 for d in hidden if (d.data or {}).get("baseline"))
    per_rule = Counter((d.code, d.name, d.severity.label) for d in active)
    dynamic = [d for d in report.diagnostics if d.phase in _DYNAMIC_PHASES]
    return {
        "files": len(report.files),
        "total": len(active),
        "severities": [{"label": s.label, "count": sum(1 for d in active if d.severity == s)}
                       for s in sorted(Severity, reverse=True)],
        "rules": [{"code": c, "name": n, "severity": s, "count": k, "url": rule_doc_url(c)}
                  for (c, n, s), k in sorted(per_rule.items(), key=lambda kv: (-kv[1], kv[0]))],
        "rows": [_row(d) for d in active],
        "omitted": 0,
        "suppressed": len(hidden) - baselined,
        "baselined": baselined,
        "dry_run": [{**_row(d), "phase": d.phase} for d in dynamic],
    }


def render_summary(report, limit: int = SUMMARY_LIMIT) -> str:
    """The summary Markdown, with the findings table shortened until it fits ``limit``."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("hnet_lint", "report/templates"),
                      undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    template = env.get_template("summary.md.j2")
    data = summary_context(report)
    rows = data["rows"]
    keep = len(rows)
    while True:
        data["rows"], data["omitted"] = rows[:keep], len(rows) - keep
        text = template.render(**data)
        if len(text.encode("utf-8")) <= limit or keep == 0:
            return text
        # Shrink in proportion to the overshoot; rows are roughly the same size.
        keep = min(keep - 1, int(keep * limit / len(text.encode("utf-8")) * 0.95))
        keep = max(keep, 0)


def append_summary(report, path: str) -> None:
    """Append the summary to ``path`` (the step summary file is shared by the step)."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(render_summary(report))


def render(report, ctx) -> str:
    """``--output github-summary=PATH``: the same Markdown, written to a file of your choice."""
    return render_summary(report)
