"""Write an analysis to a folder: findings.json, PNG plots, report.md and report.html.

Templates get plain dicts; sorting and grouping happen here (style guide §8). The same
templates serve the dry-run, which writes its curves with
:class:`~hnet_lint.analyze.metrics.MetricsWriter` and reads them back through ``analyze``.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from ..diagnostics import Diagnostic
from .run import Analysis

__all__ = ["write_outputs", "report_context", "render_report"]


def _finding(diag: Diagnostic) -> dict[str, Any]:
    out = diag.to_dict()
    out["where"] = f"{os.path.basename(diag.span.file)}:{diag.span.line}:{diag.span.column}"
    return out


def _stem(path: str, many: bool) -> str:
    """File-name prefix for one log's plots when several logs share the folder."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", os.path.basename(path)) + "-" if many else ""


def _log_summary(log) -> dict[str, Any]:
    return {"path": log.path, "format": log.format, "lines": log.lines,
            "skipped": len(log.skipped), "last_step": log.last_step,
            "fields": sorted(log.series)}


def report_context(result: Analysis, plots: dict[str, list[dict]], plot_note: str | None
                   ) -> dict[str, Any]:
    """Everything the templates show, as plain data."""
    logs = []
    for log in result.logs:
        logs.append({**_log_summary(log), "plots": plots.get(log.path, []),
                     "findings": [_finding(d) for d in result.findings
                                  if d.span.file == log.path]})
    counts = {"error": 0, "warning": 0, "info": 0}
    for diag in result.findings + result.static:
        counts[diag.severity.label] += 1
    return {"title": "hnet-lint analyze", "logs": logs, "config": result.expect.config,
            "static": [_finding(d) for d in result.static], "counts": counts,
            "plot_note": plot_note}


def render_report(context: dict[str, Any], kind: str) -> str:
    """``kind`` is ``html`` or ``md``; autoescape only for HTML."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("hnet_lint.analyze", "templates"),
                      undefined=StrictUndefined, autoescape=kind == "html",
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    return env.get_template(f"report.{kind}.j2").render(**context)


def _draw(result: Analysis, out_dir: str, plots: bool) -> tuple[dict[str, list], str | None]:
    from .plots import PLOT_HINT, draw_all, have_matplotlib

    if not plots:
        return {}, "plots were turned off (--no-plots)"
    if not have_matplotlib():
        return {}, PLOT_HINT
    many = len(result.logs) > 1
    return {log.path: draw_all(log, result.expect, out_dir, _stem(log.path, many))
            for log in result.logs}, None


def write_outputs(result: Analysis, out_dir: str, plots: bool = True) -> list[str]:
    """Write every output file; returns the paths written."""
    os.makedirs(out_dir, exist_ok=True)
    drawn, note = _draw(result, out_dir, plots)
    context = report_context(result, drawn, note)
    written = [os.path.join(out_dir, p["file"]) for ps in drawn.values() for p in ps]
    findings = [d.to_dict() for d in result.findings + result.static]
    files = {"findings.json": json.dumps(findings, indent=2, ensure_ascii=False) + "\n",
             "report.md": render_report(context, "md"),
             "report.html": render_report(context, "html")}
    for name, text in files.items():
        path = os.path.join(out_dir, name)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        written.append(path)
    return written
