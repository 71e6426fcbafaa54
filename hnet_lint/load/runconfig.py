"""The normalized run: one shape for all three dialects, plus a map back to the source.

Rules only ever see a :class:`RunConfig`. Every value in it has a *canonical* key path
(``optimizer.lr_multiplier[2]``, ``model.attn_cfg.num_heads[1]``); the :class:`SourceMap`
turns such a path into the file and span where the value was written: the flat dialect's
``lr_multipliers``, or a model JSON referenced from the run config.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Hashable

from ..diagnostics import Span
from .frozen import Frozen
from .layout import Layout, LayoutError, parse_layout
from .source import SourceDoc

if TYPE_CHECKING:
    # Sections are records (.records) named like these classes and with their fields; a lint
    # never imports the pydantic classes themselves.
    from .schema import (
        DataSection, GenerationSection, HNetModelConfig, OptimizerSection, RoutingSection,
        ScheduleSection, TrainingSection,
    )

__all__ = ["SourceMap", "RunConfig", "Located"]

Path = tuple[Hashable, ...]


class Located(Frozen):
    """Where a canonical path was written: file, span and the key path in that file."""

    __slots__ = ("doc", "span", "path", "written")
    doc: SourceDoc
    span: Span
    path: Path
    written: bool
    """False when the value is a default that appears nowhere in the file."""

    def __init__(self, doc: SourceDoc, span: Span, path: Path, written: bool):
        self._set(doc=doc, span=span, path=path, written=written)


class SourceMap:
    """Canonical path prefixes -> (document, path prefix in that document)."""

    __slots__ = ("entries",)

    def __init__(self, entries: dict[Path, tuple[SourceDoc, Path]] | None = None):
        self.entries = {} if entries is None else entries

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self.entries == other.entries

    __hash__ = None  # mutable, as a dataclass without frozen=True

    def __repr__(self) -> str:
        return f"SourceMap(entries={self.entries!r})"

    def add(self, canonical: Path, doc: SourceDoc, path: Path) -> None:
        self.entries[canonical] = (doc, path)

    def locate(self, canonical: Path, *, key: bool = False) -> Located:
        for cut in range(len(canonical), -1, -1):
            hit = self.entries.get(canonical[:cut])
            if hit is not None:
                doc, prefix = hit
                path = prefix + canonical[cut:]
                written = doc.node_at(path) is not None
                return Located(doc, doc.span_of(path, key=key), path, written)
        raise KeyError(canonical)


@dataclass
class RunConfig:
    """A run config in canonical form. Sections that were absent or invalid are ``None``."""

    dialect: str
    """``native``, ``flat`` or ``model``."""
    doc: SourceDoc
    """The file being linted."""
    sources: SourceMap
    model: HNetModelConfig | None = None
    routing: RoutingSection | None = None
    optimizer: OptimizerSection | None = None
    schedule: ScheduleSection | None = None
    training: TrainingSection | None = None
    data: DataSection | None = None
    generation: GenerationSection | None = None
    defaults: dict[Path, Any] = field(default_factory=dict)
    """Canonical paths whose value is the trainer's default, not written in the file."""
    trainer: Any = None
    """The :class:`~hnet_lint.load.trainers.TrainerProfile` that reads a flat file (``None``:
    native configs, model files, and flat files that match no known trainer)."""
    trainer_selection: Any = None
    """How the profile was chosen (:class:`~hnet_lint.load.trainers.Selection`)."""

    @property
    def base_dir(self) -> str:
        return os.path.dirname(os.path.abspath(self.doc.path))

    @cached_property
    def layout_or_error(self) -> Layout | LayoutError | None:
        if self.model is None:
            return None
        try:
            return parse_layout(self.model.arch_layout)
        except LayoutError as exc:
            return exc

    @property
    def layout(self) -> Layout | None:
        """The parsed layout, or ``None`` when it is missing or invalid (a rule reports it)."""
        value = self.layout_or_error
        return value if isinstance(value, Layout) else None

    @property
    def num_stages(self) -> int | None:
        """S, the number of chunking stages; stages are numbered 0..S."""
        return self.layout.num_stages if self.layout else None

    def is_default(self, canonical: Path) -> bool:
        """Whether the value at ``canonical`` (or a container of it) is a trainer default."""
        return any(canonical[:cut] in self.defaults for cut in range(len(canonical), 0, -1))
