"""The ``arch_layout`` grammar, parsed strictly.

A stage is ``[encoder, inner, decoder]`` (``inner`` being the next stage) or ``[main]``
for the innermost one. Layer strings are runs of a letter and a count: ``m``/``M`` are
Mamba-2 blocks without/with a SwiGLU MLP, ``t``/``T`` attention blocks without/with one.
The official parser uses ``re.findall`` and silently drops anything else; this one
requires a full match and says where it failed.
"""

from __future__ import annotations

import re
from typing import Any

from .frozen import Frozen

__all__ = ["LayoutError", "Stage", "Layout", "parse_layout", "parse_layer_string"]

_RUN = re.compile(r"([mMtT])([1-9][0-9]*)")
_FULL = re.compile(r"(?:[mMtT][1-9][0-9]*)+\Z")


class LayoutError(ValueError):
    """A layout that the official code would reject or silently misread.

    ``path`` is the key path inside ``arch_layout`` of the offending item.
    """

    def __init__(self, message: str, path: tuple[int, ...], kind: str):
        super().__init__(message)
        self.path = path
        self.kind = kind  # "string" (bad layer string) or "nesting" (bad list shape)


class Stage(Frozen):
    """One stage s of the hierarchy. The innermost stage has only ``main``."""

    __slots__ = ("index", "encoder", "decoder", "main")
    index: int
    encoder: tuple[tuple[str, int], ...]
    decoder: tuple[tuple[str, int], ...]
    main: tuple[tuple[str, int], ...]

    def __init__(self, index: int, encoder: tuple, decoder: tuple, main: tuple):
        self._set(index=index, encoder=encoder, decoder=decoder, main=main)

    @property
    def blocks(self) -> tuple[tuple[str, int], ...]:
        return self.encoder + self.main + self.decoder

    def letters(self) -> set[str]:
        return {letter for letter, count in self.blocks if count > 0}

    @property
    def has_mamba(self) -> bool:
        return bool(self.letters() & {"m", "M"})

    @property
    def has_attention(self) -> bool:
        return bool(self.letters() & {"t", "T"})

    @property
    def has_mlp(self) -> bool:
        return bool(self.letters() & {"M", "T"})

    @property
    def num_layers(self) -> int:
        return sum(count for _, count in self.blocks)


class Layout(Frozen):
    """A parsed layout: ``num_stages`` S chunking boundaries, S+1 stages."""

    __slots__ = ("stages",)
    stages: tuple[Stage, ...]

    def __init__(self, stages: tuple[Stage, ...]):
        self._set(stages=stages)

    @property
    def num_stages(self) -> int:
        """S, the nesting depth: the number of chunking stages (stage boundaries)."""
        return len(self.stages) - 1

    @property
    def width(self) -> int:
        """S+1, the number of per-stage entries that lists must provide."""
        return len(self.stages)


def parse_layer_string(text: str) -> tuple[tuple[str, int], ...]:
    """``"T1m4"`` -> ``(("T", 1), ("m", 4))``. Raises ValueError unless it fully matches."""
    if not _FULL.match(text):
        raise ValueError(_explain_bad_string(text))
    return tuple((letter, int(count)) for letter, count in _RUN.findall(text))


def _explain_bad_string(text: str) -> str:
    if not text:
        return "empty layer string"
    pos = 0
    while True:
        match = _RUN.match(text, pos)
        if not match:
            break
        pos = match.end()
    bad = text[pos:]
    if re.match(r"[mMtT]0", bad):
        return f"layer string {text!r} has a zero layer count at {bad[:2]!r}"
    return (f"layer string {text!r} is not a run of [mMtT]<count>: the official parser "
            f"silently drops {bad!r}")


def parse_layout(value: Any) -> Layout:
    """Parse an ``arch_layout`` value into stages, outermost first."""
    stages: list[Stage] = []
    node, path = value, ()
    while True:
        if not isinstance(node, list):
            raise LayoutError(
                f"expected a list of 1 or 3 items, got {type(node).__name__}", path, "nesting")
        if len(node) == 3:
            enc = _layer(node[0], path + (0,))
            dec = _layer(node[2], path + (2,))
            stages.append(Stage(len(stages), enc, dec, ()))
            node, path = node[1], path + (1,)
            continue
        if len(node) == 1:
            stages.append(Stage(len(stages), (), (), _layer(node[0], path + (0,))))
            return Layout(tuple(stages))
        raise LayoutError(
            f"a stage must be [encoder, inner, decoder] or [main], got {len(node)} items "
            "(the official code raises NotImplementedError)", path, "nesting")


def _layer(item: Any, path: tuple[int, ...]) -> tuple[tuple[str, int], ...]:
    if not isinstance(item, str):
        raise LayoutError(
            f"expected a layer string here, got {type(item).__name__} "
            "(the official code asserts 'Wrong arch_layout')", path, "nesting")
    try:
        return parse_layer_string(item)
    except ValueError as exc:
        raise LayoutError(str(exc), path, "string") from None
