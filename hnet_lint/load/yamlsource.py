"""YAML loading with positions, resolved-key duplicate detection and YAML 1.1 trap checks.

libyaml's C parser composes the node graph (with marks on every node); this module then
walks the graph once to build :class:`~hnet_lint.load.source.Node` trees. Values are resolved
exactly as PyYAML's ``safe_load`` would, because that is what trainers use, and each place
where that differs from what the author most likely meant (``2e-4`` as a string, ``no``
as a boolean, ``0755`` as octal) is reported.
"""

from __future__ import annotations

import re
from typing import Any, Hashable

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ..diagnostics import Span
from .codes import input_error, make
from .source import Limits, Node, SourceDoc

__all__ = ["load_yaml"]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_SAFE_TAGS = frozenset(
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "timestamp", "binary", "seq", "map",
              "omap", "pairs", "set", "merge", "value")
)
# What YAML 1.2 (and every JSON-minded reader) calls a float but PyYAML's 1.1 resolver does not.
_SCI_FLOAT = re.compile(r"[-+]?(?:\d[\d_]*)?(?:\.\d*)?[eE][-+]?\d+\Z")
# Tags whose SafeConstructor method returns a plain value at once (no generator, no child
# nodes): calling it directly gives what construct_object gives, without its caches.
_DIRECT = {tag: SafeConstructor.yaml_constructors[tag] for tag in (
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null")}
_TRUTHY = re.compile(r"(?:yes|no|on|off|y|n)\Z", re.IGNORECASE)
_OCTAL = re.compile(r"[-+]?0[0-7_]+\Z")


def load_yaml(text: str, path: str, limits: Limits) -> SourceDoc:
    doc = SourceDoc(path=path, text=text, fmt="yaml", root=None)
    too_deep = _nesting_guard(text, limits.max_depth)
    if too_deep is not None:
        doc.diagnostics.append(input_error(path, too_deep[0], *too_deep[1]))
        return doc
    try:
        loader = _Loader(text)
        try:
            graph = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _in_text(text, mark.line + 1, mark.column + 1) if mark else (1, 1)
        doc.diagnostics.append(input_error(path, _yaml_message(exc), line, col))
        return doc
    except yaml.YAMLError as exc:  # e.g. reader errors on control characters
        doc.diagnostics.append(input_error(path, f"YAML error: {exc}".splitlines()[0]))
        return doc
    if graph is None:
        return doc
    builder = _Builder(doc, limits)
    try:
        doc.root = builder.build(graph, 0)
    except _TooLarge as exc:
        doc.root = None
        doc.diagnostics.append(input_error(path, str(exc), *exc.at))
    return doc


def _in_text(text: str, line: int, col: int) -> tuple[int, int]:
    """libyaml reports end-of-input errors on the line after a final line that has no
    newline; move such positions to the end of the last line so they point into the file."""
    lines = text.splitlines()
    if line <= len(lines):
        return line, col
    return (len(lines), len(lines[-1]) + 1) if lines else (1, 1)


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    return "YAML syntax error: " + ", ".join(parts)


def _nesting_guard(text: str, max_depth: int) -> tuple[str, tuple[int, int]] | None:
    """Refuse documents nested deeper than ``max_depth`` before libyaml composes them.

    libyaml's composer recurses in C and crashes the interpreter somewhere past ~50k
    levels. A cheap upper bound (flow brackets plus the widest indentation) clears every
    ordinary file at once; only suspicious files pay for an event-level depth count.
    """
    bound = text.count("[") + text.count("{")
    if bound < max_depth:
        widest = max((len(m) for m in re.findall(r"^[ \t-]*", text, re.MULTILINE)), default=0)
        if bound + widest < max_depth:
            return None
    depth = 0
    loader = _Loader(text)
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > max_depth:
                    mark = event.start_mark
                    return (f"nesting deeper than {max_depth} levels; not parsed",
                            (mark.line + 1, mark.column + 1))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return None  # the real parse reports the syntax error with its position
    finally:
        loader.dispose()
    return None


class _TooLarge(Exception):
    def __init__(self, message: str, at: tuple[int, int]):
        super().__init__(message)
        self.at = at


def _span(path: str, node: yaml.Node) -> Span:
    s, e = node.start_mark, node.end_mark
    return Span(path, s.line + 1, s.column + 1, e.line + 1, e.column + 1)


class _Builder:
    """Walks libyaml's node graph into :class:`Node` trees, counting aliases as they expand."""

    def __init__(self, doc: SourceDoc, limits: Limits):
        self.doc = doc
        self.path = doc.path
        self.limits = limits
        self.count = 0
        self.constructor = SafeConstructor()

    def build(self, node: yaml.Node, depth: int) -> Node:
        self.count += 1
        if self.count > self.limits.max_nodes or depth > self.limits.max_depth:
            what = ("expands to more than " f"{self.limits.max_nodes} nodes (alias bomb?)"
                    if self.count > self.limits.max_nodes
                    else f"nesting deeper than {self.limits.max_depth} levels")
            mark = node.start_mark
            raise _TooLarge(f"document {what}; not parsed", (mark.line + 1, mark.column + 1))
        if node.tag not in _SAFE_TAGS:
            return self._unsafe(node)
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if isinstance(node, SequenceNode):
            items = [self.build(child, depth + 1) for child in node.value]
            return Node("seq", items, _span(self.path, node))
        return self._mapping(node, depth)

    def _unsafe(self, node: yaml.Node) -> Node:
        span = _span(self.path, node)
        self.doc.diagnostics.append(make(
            "HNL005", span, f"tag {node.tag!r} is not allowed; the value is ignored"
        ))
        return Node("scalar", None, span)

    def _scalar(self, node: ScalarNode) -> Node:
        span = _span(self.path, node)
        plain = not node.style  # None from the pure loader, "" from libyaml
        try:
            direct = _DIRECT.get(node.tag)
            if direct is not None:  # what construct_object would call, minus its bookkeeping
                value = direct(self.constructor, node)
            else:
                value = self.constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError, OverflowError):
            value = node.value
        if plain:
            value = self._check_trap(node, value, span)
        return Node("scalar", value, span, raw=node.value if plain else None)

    def _check_trap(self, node: ScalarNode, value: Any, span: Span) -> Any:
        text = node.value
        if node.tag == _STR and _SCI_FLOAT.match(text):
            self.doc.diagnostics.append(make(
                "HNL002", span,
                f"`{text}` loads as the string '{text}' under PyYAML (YAML 1.1); "
                f"write it with a dot, e.g. `{_with_dot(text)}`",
            ))
            try:
                return float(text.replace("_", ""))
            except ValueError:
                return value
        if isinstance(value, bool) and _TRUTHY.match(text):
            self.doc.diagnostics.append(make(
                "HNL003", span,
                f"`{text}` loads as the boolean {value} under PyYAML but as a string under "
                f"YAML 1.2; write `{str(value).lower()}` or quote it",
            ))
        elif isinstance(value, int) and not isinstance(value, bool) and _OCTAL.match(text):
            self.doc.diagnostics.append(make(
                "HNL004", span,
                f"`{text}` is octal under YAML 1.1 and loads as {value}; "
                "remove the leading zero or quote it",
            ))
        return value

    def _mapping(self, node: MappingNode, depth: int) -> Node:
        values: dict[Hashable, Node] = {}
        key_spans: dict[Hashable, Span] = {}
        merged: list[tuple[Hashable, Node, Span]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.extend(self._merge_entries(value_node, depth))
                continue
            key_span = _span(self.path, key_node)
            key = self._key(key_node, depth)
            if key is _UNHASHABLE:
                continue
            if key in values:
                first = key_spans[key]
                self.doc.diagnostics.append(make(
                    "HNL001", key_span,
                    f"duplicate key {key!r} (first defined at line {first.line}); "
                    "PyYAML silently keeps this one",
                    path=(),
                ))
            values[key] = self.build(value_node, depth + 1)
            key_spans[key] = key_span
        for key, value, key_span in merged:  # explicit keys override merged ones
            if key not in values:
                values[key] = value
                key_spans[key] = key_span
        return Node("map", values, _span(self.path, node), key_spans)

    def _merge_entries(self, value_node: yaml.Node, depth: int) -> list:
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        entries: list[tuple[Hashable, Node, Span]] = []
        for source in sources:
            if not isinstance(source, MappingNode):
                self.doc.diagnostics.append(make(
                    "HNL007", _span(self.path, source), "a merge key `<<` needs a mapping"
                ))
                continue
            built = self._mapping(source, depth + 1)
            entries.extend((k, v, built.key_spans[k]) for k, v in built.value.items())
        return entries

    def _key(self, key_node: yaml.Node, depth: int) -> Hashable:
        if not isinstance(key_node, ScalarNode):
            self.doc.diagnostics.append(make(
                "HNL007", _span(self.path, key_node), "mapping keys must be plain scalars"
            ))
            return _UNHASHABLE
        built = self.build(key_node, depth + 1)
        try:
            hash(built.value)
        except TypeError:
            return _UNHASHABLE
        return built.value


def _with_dot(text: str) -> str:
    mantissa, _, exponent = text.lower().partition("e")
    sign = mantissa[:1] if mantissa[:1] in "+-" else ""
    digits = mantissa[len(sign):] or "1"
    if "." not in digits:
        digits += ".0"
    elif digits.endswith("."):
        digits += "0"
    elif digits.startswith("."):
        digits = "0" + digits
    return f"{sign}{digits}e{exponent}"


_UNHASHABLE: Any = object()
