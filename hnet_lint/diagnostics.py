"""Diagnostics: what every check in hnet-lint produces.

A :class:`Diagnostic` is a frozen, sortable value: a stable code, a severity, the
exact span in the file the offending value was written in, the key path of that value
and a message that says what is wrong and what to do. Static rules, the dry-run and
the log analyzer all report through this one type, so every output format serves all
of them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["Severity", "Span", "Diagnostic", "format_key_path", "HnetLintError"]


class HnetLintError(ValueError):
    """A usage or input error that should end the run with exit code 2."""


class Severity(enum.IntEnum):
    """How bad a finding is. Higher is worse; the order drives ``--fail-on``."""

    INFO = 0
    WARNING = 1
    ERROR = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise HnetLintError(
                f"unknown severity {text!r}: expected one of error, warning, info"
            ) from None


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A region of a file. Lines and columns are 1-based; ``end_column`` is exclusive.

    Columns count Unicode code points, as the YAML parser reports them.
    """

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def start_of(cls, file: str) -> Span:
        return cls(file, 1, 1, 1, 1)


def format_key_path(path: tuple[str | int, ...]) -> str:
    """Render ``("attn_cfg", "num_heads", 1)`` as ``attn_cfg.num_heads[1]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    """One finding. Sorting orders by file, position, then code."""

    span: Span
    code: str
    severity: Severity = field(compare=False)
    message: str
    name: str = field(default="", compare=False)
    path: tuple[str | int, ...] = field(default=(), compare=False)
    phase: str = field(default="static", compare=False)
    evidence: str | None = field(default=None, compare=False)
    data: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    suppressed: bool = field(default=False, compare=False)

    @property
    def key(self) -> str:
        return format_key_path(self.path)

    def with_severity(self, severity: Severity) -> Diagnostic:
        return replace(self, severity=severity)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON contract (see README, "Output formats")."""
        out: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.label,
            "message": self.message,
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "key": self.key,
            "phase": self.phase,
        }
        if self.evidence is not None:
            out["evidence"] = self.evidence
        if self.data:
            out["data"] = self.data
        if self.suppressed:
            out["suppressed"] = True
        return out
