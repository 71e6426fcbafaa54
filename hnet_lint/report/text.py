"""Human output, like ruff's: ``file:line:col: CODE [severity] message`` plus a code frame."""

from __future__ import annotations

from collections import Counter

from ..diagnostics import Diagnostic, Severity

__all__ = ["render", "render_concise", "summary_line", "statistics_table", "hidden_counts"]

_COLORS = {Severity.ERROR: "\x1b[31m", Severity.WARNING: "\x1b[33m", Severity.INFO: "\x1b[36m"}
_BOLD, _DIM, _RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


def _paint(text: str, code: str, on: bool) -> str:
    return f"{code}{text}{_RESET}" if on else text


def headline(diag: Diagnostic, color: bool = False, fixable: bool = False) -> str:
    """``file:line:col: CODE [severity] message``; ``[*]`` after the severity marks a
    finding that ``--fix`` fixes (ruff's marker; placed so the fixed prefix stays parseable)."""
    where = f"{diag.span.file}:{diag.span.line}:{diag.span.column}:"
    sev = _paint(f"[{diag.severity.label}]", _COLORS[diag.severity], color)
    mark = " [*]" if fixable else ""
    return (f"{_paint(where, _BOLD, color)} {_paint(diag.code, _BOLD, color)} {sev}{mark} "
            f"{diag.message}")


def code_frame(diag: Diagnostic, lines: list[str], color: bool = False) -> list[str]:
    """The offending line with a caret run under the span (first line of multi-line spans)."""
    span = diag.span
    if not lines or not 1 <= span.line <= len(lines):
        return []
    text = lines[span.line - 1].replace("\t", " ")
    if len(text) > 200 or not text.isprintable():
        return []  # very long or binary lines (e.g. TensorBoard event files) make no frame
    end = span.end_column if span.end_line == span.line else len(text) + 1
    width = max(1, min(end, len(text) + 1) - span.column)
    gutter = f"{span.line:>4} | "
    marker = " " * (len(gutter) - 2) + "| " + " " * (span.column - 1) + "^" * width
    return [_paint(gutter, _DIM, color) + text, _paint(marker, _COLORS[diag.severity], color)]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def summary_line(diags: list[Diagnostic], files: int, suppressed: int = 0,
                 baselined: int = 0, skipped: int = 0, fixable: int = 0) -> str:
    """The last line: what was found in how many files; files skipped as not H-Net configs
    and findings that ``--fix`` fixes are counted, so nothing passes unnoticed."""
    hidden = ", ".join(t for t in (f"{suppressed} suppressed" if suppressed else "",
                                   f"{baselined} baselined" if baselined else "") if t)
    skip = (f"; {_plural(skipped, 'file')} skipped, not H-Net configs (-v lists them)"
            if skipped else "")
    if not diags:
        tail = f" ({hidden})" if hidden else ""
        return f"All checks passed: {_plural(files, 'file')}{tail}{skip}."
    counts = Counter(d.severity for d in diags)
    parts = [f"{counts[s]} {s.label}{'s' if counts[s] != 1 else ''}"
             for s in sorted(counts, reverse=True)]
    tail = f", {hidden}" if hidden else ""
    fix = f"; {fixable} fixable with --fix (--diff shows how)" if fixable else ""
    return f"Found {_plural(len(diags), 'finding')} " \
           f"({', '.join(parts)}{tail}) in {_plural(files, 'file')}{fix}{skip}."


def statistics_table(diags: list[Diagnostic]) -> list[str]:
    counts = Counter((d.code, d.name, d.severity.label) for d in diags)
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0]))
    return [f"{n:>5}  {code}  {name:<34} {sev}" for (code, name, sev), n in rows]


def why_it_matters(code: str) -> list[str]:
    """The "Why it matters" section of a rule's docs, indented for the terminal."""
    from ..catalog import catalog as registry

    meta = registry().get(code)
    if meta is None:
        return []
    doc = meta.doc
    if "## Why it matters" in doc:
        doc = doc.split("## Why it matters", 1)[1].split("##", 1)[0]
    else:
        doc = doc.split("\n\n", 1)[-1]
    return [f"     = {line}".rstrip() for line in doc.strip().splitlines()]


def hidden_counts(report) -> tuple[int, int]:
    """(suppressed inline, baselined) findings of ``report``."""
    hidden = [d for d in report.diagnostics if d.suppressed]
    baselined = sum(1 for d in hidden if (d.data or {}).get("baseline"))
    return len(hidden) - baselined, baselined


def render(report, ctx) -> str:
    active = report.active
    out: list[str] = []
    explained: set[str] = set()
    for diag in active:
        out.append(headline(diag, ctx.color, diag in ctx.fixable))
        if ctx.show_source:
            frame = code_frame(diag, ctx.sources.get(diag.span.file, []), ctx.color)
            out.extend(frame)
        if ctx.explain and diag.code not in explained:
            explained.add(diag.code)
            out.extend(why_it_matters(diag.code))
        if ctx.show_source or ctx.explain:
            out.append("")
    if ctx.statistics and active:
        out.extend(statistics_table(active))
        out.append("")
    out.append(_summary(report, ctx))
    return "\n".join(out) + "\n"


def _summary(report, ctx) -> str:
    suppressed, baselined = hidden_counts(report)
    return summary_line(report.active, len(report.files), suppressed, baselined,
                        len(getattr(report, "skipped", ())), len(ctx.fixable))


def render_concise(report, ctx) -> str:
    """One line per finding, then the same summary line as ``text``."""
    lines = [headline(d, ctx.color, d in ctx.fixable) for d in report.active]
    if ctx.statistics and report.active:
        lines.extend(statistics_table(report.active))
    lines.append(_summary(report, ctx))
    return "\n".join(lines) + "\n"
