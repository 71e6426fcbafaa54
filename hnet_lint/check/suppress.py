"""Inline suppressions: ``# hnet-lint: ignore[HNL203] reason``.

A suppression comment at the end of a line covers findings on that line; a comment on a
line of its own covers the next line. ``ignore`` without codes covers every code. A
comment that suppresses nothing is itself reported (HNL010), so stale ones do not pile up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ..diagnostics import Diagnostic, Span
from ..load.codes import make
from ..load.source import SourceDoc

__all__ = ["Suppression", "find_suppressions", "apply_suppressions"]

_COMMENT = re.compile(
    r"(?:^|\s)#\s*hnet-lint:\s*ignore(?:\[(?P<codes>[^\]]*)\])?(?P<reason>[^\n]*)"
)


@dataclass
class Suppression:
    line: int
    """The line whose findings this suppresses."""
    codes: tuple[str, ...]
    """Codes covered; empty means all."""
    reason: str
    span: Span
    used: set[str] = field(default_factory=set)


def find_suppressions(doc: SourceDoc) -> list[Suppression]:
    if doc.fmt != "yaml" or "hnet-lint:" not in doc.text:
        return []
    found = []
    for number, text in enumerate(doc.text.splitlines(), start=1):
        match = _COMMENT.search(text)
        if not match:
            continue
        codes = tuple(c.strip().upper() for c in (match.group("codes") or "").split(",")
                      if c.strip())
        own_line = not text[: match.start()].strip()
        start = match.start() + (1 if text[match.start()].isspace() else 0)
        span = Span(doc.path, number, start + 1, number, len(text) + 1)
        target = number + 1 if own_line else number
        found.append(Suppression(target, codes, match.group("reason").strip(), span))
    return found


def apply_suppressions(
    diags: list[Diagnostic], doc: SourceDoc, report_unused: bool
) -> list[Diagnostic]:
    """Mark suppressed findings (``suppressed=True``) and add HNL010 for unused comments."""
    sups = find_suppressions(doc)
    if not sups:
        return diags
    by_line: dict[int, list[Suppression]] = {}
    for sup in sups:
        by_line.setdefault(sup.line, []).append(sup)
    out = []
    for diag in diags:
        hit = None
        if diag.span.file == doc.path:
            hit = next((s for s in by_line.get(diag.span.line, ())
                        if not s.codes or diag.code in s.codes), None)
        if hit is not None:
            hit.used.add(diag.code)
            diag = replace(diag, suppressed=True,
                           data={**(diag.data or {}), "suppression_reason": hit.reason})
        out.append(diag)
    if report_unused:
        for sup in sups:
            unused = [c for c in sup.codes if c not in sup.used]
            if (not sup.codes and not sup.used) or unused:
                what = ", ".join(unused) if unused else "anything"
                out.append(make("HNL010", sup.span,
                                f"suppression comment does not suppress {what}; remove it"))
    return out
