"""JSON loading with positions.

``json.load`` keeps no positions, so this is a small recursive-descent parser that builds
:class:`~hnet_lint.load.source.Node` trees directly. It accepts exactly RFC 8259 JSON (strings
are decoded by the standard library's own scanner), reports duplicate keys, and bounds
nesting depth so hostile input cannot exhaust the stack.
"""

from __future__ import annotations

import json.decoder
import re
from typing import Any

from ..diagnostics import Span
from .codes import input_error, make
from .source import Limits, Node, SourceDoc

__all__ = ["load_json"]

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")
_scanstring = json.decoder.scanstring  # type: ignore[attr-defined]


class _JSONError(Exception):
    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.offset = offset


def load_json(text: str, path: str, limits: Limits) -> SourceDoc:
    doc = SourceDoc(path=path, text=text, fmt="json", root=None)
    parser = _Parser(doc, limits)
    try:
        pos = parser.skip(0)
        if pos >= len(text):
            return doc  # an empty file is an empty document
        root, pos = parser.value(pos, 0)
        pos = parser.skip(pos)
        if pos != len(text):
            raise _JSONError("extra data after the JSON value", pos)
        doc.root = root
    except _JSONError as exc:
        line, col = doc.position(min(exc.offset, len(text)))
        doc.diagnostics.append(input_error(path, f"JSON syntax error: {exc}", line, col))
    return doc


class _Parser:
    def __init__(self, doc: SourceDoc, limits: Limits):
        self.doc = doc
        self.text = doc.text
        self.limits = limits
        self.nodes = 0

    def skip(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()

    def span(self, start: int, end: int) -> Span:
        line, col = self.doc.position(start)
        end_line, end_col = self.doc.position(end)
        return Span(self.doc.path, line, col, end_line, end_col)

    def value(self, pos: int, depth: int) -> tuple[Node, int]:
        self.nodes += 1
        if depth > self.limits.max_depth:
            raise _JSONError(f"nesting deeper than {self.limits.max_depth} levels", pos)
        if self.nodes > self.limits.max_nodes:
            raise _JSONError(f"more than {self.limits.max_nodes} values", pos)
        char = self.text[pos : pos + 1]
        if char == "{":
            return self.object(pos, depth)
        if char == "[":
            return self.array(pos, depth)
        if char == '"':
            value, end = self.string(pos)
            return Node("scalar", value, self.span(pos, end)), end
        match = _NUMBER.match(self.text, pos)
        if match:
            raw = match.group()
            try:
                value: Any = float(raw) if match.group(1) or match.group(2) else int(raw)
            except ValueError:  # more digits than int() converts (sys.int_info)
                raise _JSONError(f"number with {len(raw)} digits is too long", pos) from None
            return Node("scalar", value, self.span(pos, match.end()), raw=raw), match.end()
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, pos):
                end = pos + len(word)
                return Node("scalar", value, self.span(pos, end)), end
        found = repr(char) if char else "end of file"
        raise _JSONError(f"expected a value, found {found}", pos)

    def string(self, pos: int) -> tuple[str, int]:
        try:
            return _scanstring(self.text, pos + 1, True)
        except json.JSONDecodeError as exc:
            raise _JSONError(exc.msg, exc.pos) from None

    def object(self, start: int, depth: int) -> tuple[Node, int]:
        values: dict[str, Node] = {}
        key_spans: dict[str, Span] = {}
        pos = self.skip(start + 1)
        if self.text.startswith("}", pos):
            return Node("map", values, self.span(start, pos + 1), key_spans), pos + 1
        while True:
            if not self.text.startswith('"', pos):
                raise _JSONError("expected a string key in double quotes", pos)
            key, key_end = self.string(pos)
            key_span = self.span(pos, key_end)
            pos = self.skip(key_end)
            if not self.text.startswith(":", pos):
                raise _JSONError("expected ':' after the key", pos)
            node, pos = self.value(self.skip(pos + 1), depth + 1)
            if key in values:
                self.doc.diagnostics.append(make(
                    "HNL001", key_span,
                    f"duplicate key {key!r} (first defined at line {key_spans[key].line}); "
                    "json.load silently keeps this one",
                ))
            values[key] = node
            key_spans[key] = key_span
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos = self.skip(pos + 1)
                continue
            if self.text.startswith("}", pos):
                return Node("map", values, self.span(start, pos + 1), key_spans), pos + 1
            raise _JSONError("expected ',' or '}'", pos)

    def array(self, start: int, depth: int) -> tuple[Node, int]:
        items: list[Node] = []
        pos = self.skip(start + 1)
        if self.text.startswith("]", pos):
            return Node("seq", items, self.span(start, pos + 1)), pos + 1
        while True:
            node, pos = self.value(pos, depth + 1)
            items.append(node)
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos = self.skip(pos + 1)
                continue
            if self.text.startswith("]", pos):
                return Node("seq", items, self.span(start, pos + 1)), pos + 1
            raise _JSONError("expected ',' or ']'", pos)
