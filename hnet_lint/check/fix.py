"""``--fix``: safe, text-level rewrites at the exact spans the loader reported.

Only mechanical fixes whose result means what the author evidently meant:

* HNL002: a YAML 1.1 string-float such as ``2e-4`` becomes ``2.0e-4``;
* a flat trainer's comma-string multiplier list ``"3.0,1.7,0.9"`` becomes the list
  ``[3.0, 1.7, 0.9]``, only when the file's trainer profile accepts both forms (the list is
  what every tool can read); never for a trainer version that splits the string, nor for a
  file whose trainer is unknown.

Only files judged as H-Net configs are edited: a YAML file that parses as something else
(HNL011, "not an H-Net config", such as a Helm values file) keeps its ``3e-4`` even though
the finding about it is true, since nothing says that value is ever read as a float.

Nothing else is touched: comments, quoting and layout stay as written. Each edit first
checks that the text at the span is what the finding describes, so a stale span never
corrupts a file. Fixes whose right answer is a judgment (an LR, a multiplier) are not
offered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..diagnostics import Span

__all__ = ["Edit", "plan_fixes", "apply_fixes", "fixed_texts", "diff_fixes", "fixable",
           "with_dot"]

_SCI = re.compile(r"([-+]?)(\d[\d_]*)?(\.\d*)?[eE]([-+]?\d+)\Z")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\Z")


@dataclass(frozen=True)
class Edit:
    """Replace the text at ``span`` (which must read ``old``) with ``new``."""

    span: Span
    old: str
    new: str


def with_dot(text: str) -> str | None:
    """``2e-4`` -> ``2.0e-4``, ``.5e3`` -> ``0.5e3``; ``None`` when not such a number."""
    match = _SCI.match(text)
    if not match:
        return None
    sign, whole, frac, exp = match.groups()
    whole = whole or "0"
    frac = frac if frac and len(frac) > 1 else ".0"
    return f"{sign}{whole}{frac}e{exp}"


def _comma_list(raw: str, fmt: str) -> str | None:
    """``"3.0,1.7,0.9"`` (quotes included, as written) -> ``[3.0, 1.7, 0.9]``."""
    if len(raw) < 2 or raw[0] != raw[-1] or raw[0] not in "\"'":
        return None
    parts = [p.strip() for p in raw[1:-1].split(",")]
    if len(parts) < 2 or not all(_NUMBER.match(p) for p in parts):
        return None
    if fmt == "yaml":  # keep YAML 1.1 readers from turning `1e-3` into a string
        parts = [with_dot(p) or p for p in parts]
    else:  # JSON has no leading `+` or bare `.5`
        parts = [p.lstrip("+") if not p.startswith(".") else "0" + p for p in parts]
        parts = [("-0" + p[1:]) if p.startswith("-.") else p for p in parts]
    return "[" + ", ".join(parts) + "]"


def fixable(diags, dialect: str | None = None) -> set:
    """The findings ``--fix`` would fix (marked ``[*]``): an HNL002 float whose text at the
    span is still what it reports, in a file judged as an H-Net config. Decided from the
    finding and the file alone, so a cached result is marked the same as a fresh one."""
    out = set()
    texts: dict[str, str | None] = {}
    judged: dict[str, bool] = {}
    for diag in diags:
        if diag.code != "HNL002" or diag.suppressed:
            continue
        old = _text_at(diag.span, texts)
        if old is not None and with_dot(old) and _is_hnet(diag.span.file, {}, dialect, judged):
            out.add(diag)
    return out


def _is_hnet(file: str, runs: dict, dialect: str | None, judged: dict[str, bool]) -> bool:
    """Whether lint judged ``file`` an H-Net config: it has a run, ``--dialect`` forced one,
    or its document is written in a dialect (a config the normalizer rejected still is)."""
    if dialect is not None or file in runs:
        return True
    if file not in judged:
        from ..load.dialect import detect_dialect
        from ..load.source import load_file

        doc = load_file(file)
        judged[file] = doc.root is not None and detect_dialect(doc.data) is not None
    return judged[file]


def plan_fixes(report, dialect: str | None = None) -> dict[str, list[Edit]]:
    """The edits for every fixable finding in ``report``, by file; none in a file that is
    not an H-Net config (``dialect``: the ``--dialect`` the lint was forced to)."""
    plans: dict[str, list[Edit]] = {}
    judged: dict[str, bool] = {}
    for diag in report.active:
        if diag.code != "HNL002" or not _is_hnet(diag.span.file, report.runs, dialect, judged):
            continue
        old = _text_at(diag.span)
        new = with_dot(old) if old is not None else None
        if new:
            plans.setdefault(diag.span.file, []).append(Edit(diag.span, old, new))
    for file, run in report.runs.items():
        doc = run.doc
        if run.dialect != "flat" or not isinstance((doc.data or {}).get("lr_multipliers"), str):
            continue
        if not _trainer_accepts(run, "lr_multipliers", "list"):
            continue  # the rewrite would break this trainer (HNL208)
        span = doc.span_of(("lr_multipliers",))
        old = _text_at(span)
        new = _comma_list(old, doc.fmt) if old is not None else None
        if new:
            plans.setdefault(span.file, []).append(Edit(span, old, new))
    return plans


def _trainer_accepts(run, key: str, form: str) -> bool:
    """Whether the trainer profile selected for ``run`` reads ``key`` written as ``form``."""
    profile = getattr(run, "trainer", None)
    return profile is not None and profile.accepts(key, form)


def fixed_texts(report, dialect: str | None = None) -> dict[str, tuple[str, str, int]]:
    """``file -> (text now, text after the fixes, number of edits)`` for each file that a
    fix would change. ``report`` must come from a lint without the result cache (the flat
    dialect's fixes need the parsed config)."""
    out = {}
    for file, edits in plan_fixes(report, dialect).items():
        text, bom = _read(file)
        lines = text.splitlines(keepends=True)
        done = 0
        # Last edit first, so earlier offsets stay valid.
        for edit in sorted(edits, key=lambda e: (e.span.line, e.span.column), reverse=True):
            start, end = _offsets(lines, edit.span)
            joined = "".join(lines)
            if joined[start:end] != edit.old:
                continue
            joined = joined[:start] + edit.new + joined[end:]
            lines = joined.splitlines(keepends=True)
            done += 1
        if done:
            out[file] = (bom + text, bom + "".join(lines), done)
    return out


def apply_fixes(report, dialect: str | None = None) -> int:
    """Apply :func:`plan_fixes` to the files; returns the number of edits made."""
    done = 0
    for file, (_, new, count) in fixed_texts(report, dialect).items():
        with open(file, "w", encoding="utf-8", newline="") as fh:
            fh.write(new)
        done += count
    return done


def diff_fixes(report, dialect: str | None = None) -> tuple[str, int]:
    """A unified diff of what ``--fix`` would change (nothing is written), and the number
    of edits, for ``--diff``."""
    import difflib

    chunks, total = [], 0
    for file, (old, new, count) in sorted(fixed_texts(report, dialect).items()):
        total += count
        chunks.extend(difflib.unified_diff(old.splitlines(keepends=True),
                                           new.splitlines(keepends=True),
                                           fromfile=f"a/{file}", tofile=f"b/{file}"))
    text = "".join(c if c.endswith("\n") else c + "\n\\ No newline at end of file\n"
                   for c in chunks)
    return text, total


def _read(file: str) -> tuple[str, str]:
    with open(file, encoding="utf-8", newline="") as fh:
        text = fh.read()
    if text.startswith("\ufeff"):
        return text[1:], "\ufeff"
    return text, ""


def _offsets(lines: list[str], span: Span) -> tuple[int, int]:
    def at(line: int, col: int) -> int:
        return sum(len(x) for x in lines[: line - 1]) + col - 1

    return at(span.line, span.column), at(span.end_line, span.end_column)


def _text_at(span: Span, texts: dict[str, str | None] | None = None) -> str | None:
    """The source text a span covers, or ``None`` if the file cannot be read. ``texts``
    keeps files already read."""
    texts = {} if texts is None else texts
    if span.file not in texts:
        try:
            texts[span.file] = _read(span.file)[0]
        except (OSError, UnicodeDecodeError):
            texts[span.file] = None
    text = texts[span.file]
    if text is None:
        return None
    lines = text.splitlines(keepends=True)
    if not 1 <= span.line <= span.end_line <= len(lines):
        return None
    start, end = _offsets(lines, span)
    return "".join(lines)[start:end]
