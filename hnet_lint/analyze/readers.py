"""Read training logs into a :class:`~hnet_lint.analyze.runlog.RunLog`.

Formats (picked by extension, else by sniffing the first non-empty line):

* **JSON lines** (``.jsonl``, ``.ndjson``, or a first line starting with ``{``): one object
  per step; nested objects are flattened with ``/`` (``{"train": {"loss": 2}}`` ->
  ``train/loss``).
* **CSV/TSV** (``.csv``, ``.tsv``): a header row of field names.
* **Plain-text logs**: any line carrying ``key=value``, ``key: value`` or ``|``-separated
  ``key value`` fields, e.g. ``step 100 | loss 2.31 | grad_norm 0.8 | lr 3.0e-4``. The bare
  ``key value`` form is read only for known field names, so timestamps are not metrics.
* **TensorBoard** event files (``events.out.tfevents.*``, or a directory of them) need the
  optional ``tensorboard`` extra; without it the reader says so and stops.

Field names go through :func:`~hnet_lint.analyze.fields.canonical_name`. A row without a
step gets the previous step + 1. Lines that yield no metric (a truncated JSON line, a
garbled row, a text line with no fields) are counted in ``RunLog.skipped``, never fatal.
This module imports neither matplotlib nor torch.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from typing import Iterable, Iterator

from ..diagnostics import HnetLintError
from .fields import canonical_name
from .runlog import RunLog, Where

__all__ = ["read_log", "detect_format", "FORMATS"]

FORMATS = ("jsonl", "csv", "text", "tensorboard")
TENSORBOARD_HINT = ("reading TensorBoard event files needs the optional 'tensorboard' extra: "
                    "pip install 'hnet-lint[tensorboard]' (or export the scalars to CSV)")

#: (raw field name, value, where) for one row
Field = tuple[str, object, Where]


def read_log(path: str, mapping: dict[str, str] | None = None,
             fmt: str | None = None) -> RunLog:
    """Read one log file. Raises :class:`HnetLintError` when it cannot be opened at all."""
    fmt = fmt or detect_format(path)
    log = RunLog(path=path, format=fmt)
    if fmt == "tensorboard":
        _read_tensorboard(path, log, mapping)
        return log
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as fh:
            lines = fh.read().splitlines()
    except OSError as exc:
        raise HnetLintError(f"{path}: cannot read log: {exc.strerror or exc}") from None
    if fmt == "jsonl":
        _take_meta(log, lines)
    reader = {"jsonl": _jsonl_rows, "csv": _csv_rows, "text": _text_rows}[fmt]
    _collect(log, reader(lines), mapping)
    return log


def _take_meta(log: RunLog, lines: list[str]) -> None:
    """Move a first line ``{"hnet_lint_curves": {...}}`` into ``log.meta`` (blanked in
    ``lines`` so the other line numbers stay)."""
    from .metrics import META_KEY

    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or META_KEY not in lines[first]:
        return
    try:
        obj = json.loads(lines[first])
    except ValueError:
        return
    if isinstance(obj, dict) and set(obj) == {META_KEY} and isinstance(obj[META_KEY], dict):
        log.meta = obj[META_KEY]
        lines[first] = ""


def detect_format(path: str) -> str:
    """``jsonl``, ``csv``, ``text`` or ``tensorboard`` for ``path``."""
    name = os.path.basename(path).lower()
    if "tfevents" in name or (os.path.isdir(path) and any(
            "tfevents" in f for f in os.listdir(path))):
        return "tensorboard"
    ext = os.path.splitext(name)[1]
    if ext in (".jsonl", ".ndjson"):
        return "jsonl"
    if ext in (".csv", ".tsv"):
        return "csv"
    first = _first_line(path)
    if first.startswith("{"):
        return "jsonl"
    return "text"


def _first_line(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.strip():
                    return line.strip()
    except OSError as exc:
        raise HnetLintError(f"{path}: cannot read log: {exc.strerror or exc}") from None
    return ""


def _collect(log: RunLog, rows: Iterable[tuple[int, list[Field] | None]],
             mapping: dict[str, str] | None) -> None:
    """Resolve names and steps, store the values, count the rows that gave nothing."""
    last_step: int | None = None
    for line_no, fields in rows:
        log.lines += 1
        resolved = [(canonical_name(n, mapping), n, v, w) for n, v, w in fields or []]
        step = next((_number(v) for c, _, v, _ in resolved if c == "step"), None)
        if step is None or not math.isfinite(step):
            step = 0 if last_step is None else last_step + 1
        step = int(step)
        stored = 0
        for canon, raw, value, where in resolved:
            number = _number(value)
            if canon is None:
                log.unknown_fields.add(raw)
            elif canon != "step" and number is not None:
                if canon.startswith("compression_") and number > 1:
                    number = 1.0 / number  # logged as bytes per chunk (N), stored as F
                log.add(canon, step, number, where)
                stored += 1
        if stored:
            last_step = step
        else:
            log.skipped.append(line_no)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return None


# --- JSON lines -----------------------------------------------------------------------

def _jsonl_rows(lines: list[str]) -> Iterator[tuple[int, list[Field] | None]]:
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            yield no, None  # truncated or garbled
            continue
        if not isinstance(obj, dict):
            yield no, None
            continue
        yield no, [(k, v, _json_where(line, no, k)) for k, v in _flatten(obj)]


def _flatten(obj: dict, prefix: str = "") -> Iterator[tuple[str, object]]:
    for key, value in obj.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, name + "/")
        else:
            yield name, value


def _json_where(line: str, no: int, key: str) -> Where:
    """Span of ``"key": value`` in the line (the last path part for flattened keys)."""
    leaf = key.rsplit("/", 1)[-1]
    match = re.search(r'"%s"\s*:\s*[^,}\]]*' % re.escape(leaf), line)
    if not match:
        return Where(no)
    return Where(no, match.start() + 1, match.end() + 1)


# --- CSV ------------------------------------------------------------------------------

def _csv_rows(lines: list[str]) -> Iterator[tuple[int, list[Field] | None]]:
    header: list[str] | None = None
    delim = ","
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if header is None:
            delim = "\t" if line.count("\t") > line.count(",") else ","
            header = next(csv.reader([line], delimiter=delim))
            continue
        try:
            cells = next(csv.reader([line], delimiter=delim))
        except csv.Error:
            cells = []
        if len(cells) != len(header):
            yield no, None  # truncated or garbled row
            continue
        starts = _cell_starts(line, delim, cells)
        yield no, [(name, cell, Where(no, start, start + len(cell)))
                   for name, cell, start in zip(header, cells, starts) if cell.strip()]


def _cell_starts(line: str, delim: str, cells: list[str]) -> list[int]:
    """1-based start column of each cell; exact unless the row uses quotes."""
    if '"' in line:
        return [1] * len(cells)
    out, col = [], 1
    for cell in cells:
        out.append(col)
        col += len(cell) + len(delim)
    return out


# --- plain text -----------------------------------------------------------------------

_NUM = r"[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|nan|inf(?:inity)?)"
_KEY = r"[A-Za-z_][\w./\-]*"
_PAIR_SEP = re.compile(rf"(?P<key>{_KEY})\s*[=:]\s*(?P<val>{_NUM})(?![\w.])", re.I)
_PAIR_WS = re.compile(rf"(?<![\w./\-])(?P<key>{_KEY})\s+(?P<val>{_NUM})(?![\w.])", re.I)


#: hierarchical-hnet's train.log: ``Step N | Loss: x | k: v, ... | LR: group_0: 1.00e-04,
#: group_1: ... | Time: s``; the ``group_i`` after ``LR:`` are parameter-group LRs.
_LR_SECTION = re.compile(r"\|\s*LR:\s*(?P<body>[^|]*)")
_GROUP_KEY = re.compile(r"group_(\d+)\Z")


def _text_rows(lines: list[str]) -> Iterator[tuple[int, list[Field] | None]]:
    for no, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue  # blank lines and comments are not unreadable metrics
        fields: list[Field] = []
        taken: list[tuple[int, int]] = []
        lr_section = _LR_SECTION.search(line)
        seen: set[str] = set()
        for match in _PAIR_SEP.finditer(line):
            field = _text_field(match, no)
            group = _GROUP_KEY.match(field[0])
            if group and lr_section and lr_section.start("body") <= match.start() \
                    < lr_section.end("body"):
                field = (f"lr_group_{group.group(1)}", field[1], field[2])
            taken.append(match.span())
            if field[0].lower() in seen:
                continue  # "Loss: x | loss: x" on one line is one value
            seen.add(field[0].lower())
            fields.append(field)
        for match in _PAIR_WS.finditer(line):
            # bare "key value" only for names we know, so "at 12:00 3" is not a metric
            overlaps = any(a < match.end() and match.start() < b for a, b in taken)
            if not overlaps and canonical_name(match.group("key")) is not None:
                fields.append(_text_field(match, no))
        yield no, fields


def _text_field(match: re.Match[str], no: int) -> Field:
    return (match.group("key"), match.group("val"),
            Where(no, match.start() + 1, match.end() + 1))


# --- TensorBoard (optional) -----------------------------------------------------------

def _read_tensorboard(path: str, log: RunLog, mapping: dict[str, str] | None) -> None:
    """Scalars from event files through tensorboard's EventAccumulator, if installed."""
    try:
        from tensorboard.backend.event_processing.event_accumulator import (  # type: ignore
            EventAccumulator,
        )
    except ImportError:
        raise HnetLintError(f"{path}: {TENSORBOARD_HINT}") from None
    acc = EventAccumulator(path, size_guidance={"scalars": 0})
    acc.Reload()
    rows: dict[int, list[Field]] = {}
    for tag in acc.Tags().get("scalars", []):
        for event in acc.Scalars(tag):
            rows.setdefault(int(event.step), [("step", event.step, Where(1))]).append(
                (tag, event.value, Where(1)))
    _collect(log, ((1, rows[s]) for s in sorted(rows)), mapping)
