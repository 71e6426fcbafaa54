"""dtype spellings: the short names a config may write and the canonical ones."""

from __future__ import annotations

__all__ = ["normalize_dtype"]

_CANONICAL = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def normalize_dtype(name: str | None) -> str | None:
    """``bf16`` -> ``bfloat16``; ``None`` stays ``None``."""
    if name is None:
        return None
    return _CANONICAL.get(name, name)
