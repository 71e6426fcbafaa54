"""Parsed documents that remember where every value was written.

Both YAML and JSON files are turned into one small tree of :class:`Node` objects. Each node
keeps its span, and each mapping keeps the span of every key, so a finding about
``attn_cfg.num_heads[1]`` can point at the exact characters. Key paths are resolved to spans
here and nowhere else (:meth:`SourceDoc.span_of`); rules never search the text.
"""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable

from ..diagnostics import Diagnostic, Span
from .frozen import Frozen

__all__ = ["Node", "SourceDoc", "Limits", "load_file", "load_text", "KeyPath"]

KeyPath = tuple[Hashable, ...]


class Limits(Frozen):
    """Bounds that keep hostile input from costing unbounded time or memory."""

    __slots__ = ("max_bytes", "max_depth", "max_nodes")
    max_bytes: int
    """Files larger than this are not parsed: no H-Net config is anywhere near it."""
    max_depth: int
    """Deepest nesting accepted (libyaml's composer recurses in C and can crash past ~50k)."""
    max_nodes: int
    """Most nodes a document may expand to, aliases included ("billion laughs")."""

    def __init__(self, max_bytes: int = 4 * 1024 * 1024, max_depth: int = 200,
                 max_nodes: int = 200_000):
        self._set(max_bytes=max_bytes, max_depth=max_depth, max_nodes=max_nodes)


@dataclass(slots=True)
class Node:
    """One value of a parsed document.

    ``kind`` is ``"map"``, ``"seq"`` or ``"scalar"``. For a map ``value`` is a dict of
    resolved keys to nodes and ``key_spans`` gives the span of each key as written; for a
    sequence it is a list of nodes; for a scalar it is the Python value.
    """

    kind: str
    value: Any
    span: Span
    key_spans: dict[Hashable, Span] | None = None
    raw: str | None = None
    """A scalar's source text, when it was a plain (unquoted) YAML scalar or a JSON number."""

    def to_python(self) -> Any:
        if self.kind == "map":
            return {k: v.to_python() for k, v in self.value.items()}
        if self.kind == "seq":
            return [v.to_python() for v in self.value]
        return self.value


@dataclass(slots=True)
class SourceDoc:
    """A loaded file: its text, its node tree (``None`` if it did not parse) and the
    diagnostics the parser itself produced (syntax errors, duplicate keys, YAML traps)."""

    path: str
    text: str
    fmt: str
    root: Node | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _line_starts: list[int] | None = None
    _data: Any = None

    @property
    def data(self) -> Any:
        """The plain Python value of the document (computed once)."""
        if self._data is None and self.root is not None:
            self._data = self.root.to_python()
        return self._data

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def node_at(self, path: KeyPath) -> Node | None:
        node = self.root
        for part in path:
            node = _child(node, part)
            if node is None:
                return None
        return node

    def span_of(self, path: KeyPath, *, key: bool = False) -> Span:
        """Span of the value at ``path`` (or of its key when ``key`` is set).

        When the path does not exist, the nearest existing ancestor's key is returned, so a
        missing field points at the section it belongs in; an empty document points at 1:1.
        """
        node = self.root
        if node is None:
            return Span.start_of(self.path)
        parent_key_span: Span | None = None
        for i, part in enumerate(path):
            child = _child(node, part)
            if child is None:
                if node.kind == "scalar":  # e.g. an index into "3.0,1.7,0.9": the string
                    return node.span
                return parent_key_span or _head(node.span)
            is_last = i == len(path) - 1
            if node.kind == "map":
                kspan = node.key_spans.get(part) if node.key_spans else None
                if is_last and key and kspan is not None:
                    return kspan
                parent_key_span = kspan
            else:
                parent_key_span = child.span if child.kind == "scalar" else _head(child.span)
            node = child
        return node.span if node.kind == "scalar" else _head(node.span) if path else node.span

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset into :attr:`text`."""
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i != -1:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._line_starts = starts
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1


def _child(node: Node | None, part: Hashable) -> Node | None:
    if node is None:
        return None
    if node.kind == "map":
        return node.value.get(part)
    if node.kind == "seq" and isinstance(part, int) and not isinstance(part, bool):
        return node.value[part] if -len(node.value) <= part < len(node.value) else None
    return None


def _head(span: Span) -> Span:
    """The first line of a multi-line span: for a mapping, highlighting its first line
    reads better than a block that runs to the start of the next key."""
    if span.end_line == span.line:
        return span
    return Span(span.file, span.line, span.column, span.line, span.column + 1)


def detect_format(path: str, text: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext == ".json":
        return "json"
    if ext in (".yaml", ".yml"):
        return "yaml"
    return "json" if text.lstrip()[:1] in ("{", "[") else "yaml"


def load_text(
    text: str, path: str = "<string>", fmt: str | None = None, limits: Limits = Limits()
) -> SourceDoc:
    """Parse ``text`` (YAML or JSON) into a :class:`SourceDoc`. Never raises on bad input."""
    fmt = fmt or detect_format(path, text)
    loader: Callable[[str, str, Limits], SourceDoc]
    if fmt == "json":
        from .jsonsource import load_json as loader
    else:
        from .yamlsource import load_yaml as loader
    return loader(text, path, limits)


def load_file(path: str, display: str | None = None, limits: Limits = Limits()) -> SourceDoc:
    """Read and parse a file; unreadable, oversized or non-UTF-8 files become a document
    with a single parse-error diagnostic instead of an exception."""
    from .codes import input_error

    display = display or path
    try:
        with open(path, "rb") as fh:
            blob = fh.read(limits.max_bytes + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return _failed(display, input_error(display, f"cannot read file: {reason}"))
    if len(blob) > limits.max_bytes:
        msg = (
            f"file is larger than {limits.max_bytes // (1024 * 1024)} MiB; "
            "not parsed (no H-Net config is this large)"
        )
        return _failed(display, input_error(display, msg))
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = blob.count(b"\n", 0, exc.start) + 1
        col = exc.start - (blob.rfind(b"\n", 0, exc.start) + 1) + 1
        msg = f"file is not valid UTF-8 (byte 0x{blob[exc.start]:02x} at offset {exc.start})"
        return _failed(display, input_error(display, msg, line, col))
    return load_text(text, display, None, limits)


def _failed(path: str, diag: Diagnostic) -> SourceDoc:
    return SourceDoc(path=path, text="", fmt="unknown", root=None, diagnostics=[diag])
