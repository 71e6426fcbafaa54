""""Did you mean ...?" suggestions, shared by the config validation and the settings."""

from __future__ import annotations

from typing import Iterable

__all__ = ["suggest"]


def suggest(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'lr'?"`` for the closest choice, or an empty string."""
    import difflib  # only paid for when something is misspelt

    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""
