"""dtype spellings: the short names a config may write and the canonical ones."""

from __future__ import annotations

from typing import Any

__all__ = ["normalize_dtype"]

_CANONICAL = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def normalize_dtype(name: Any) -> Any:
    """``bf16`` -> ``bfloat16``; anything that is not a string (``None``, or a wrong type the
    schema reports and drops) is returned as it is."""
    if not isinstance(name, str):
        return name
    return _CANONICAL.get(name, name)
