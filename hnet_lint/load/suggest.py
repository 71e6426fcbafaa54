""""Did you mean ...?" suggestions, shared by the config validation and the settings."""

from __future__ import annotations

import re
from typing import Iterable

__all__ = ["suggest", "closest"]

_SEP = re.compile(r"[_\-.\s]+")
#: a word-order match must be this close: "foo_rate" shares only "rate" with
#: "learning_rate" (0.63) and suggests nothing
_WORDS_CUTOFF = 0.75
#: abbreviations H-Net configs use for the same thing (``min_lr`` / ``min_learning_rate``)
_SPELLED_OUT = {"lr": ("learning", "rate")}


def suggest(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'lr'?"`` for the closest choice, or an empty string."""
    match = closest(str(word), list(choices))
    return f"; did you mean {match!r}?" if match else ""


def closest(word: str, choices: list[str], cutoff: float = 0.6) -> str | None:
    """The choice most like ``word``: by characters, or by its ``_``-separated words in any
    order, whichever is higher. A misspelt key usually keeps its words (``learnig_rate_min``
    is ``min_learning_rate`` with a typo and the words moved), which a character match
    alone ranks below a shorter key that shares a prefix (``learning_rate``)."""
    import difflib  # only paid for when something is misspelt

    best, best_score = None, cutoff
    words = _words(word)
    for choice in choices:
        score = difflib.SequenceMatcher(None, word, choice).ratio()
        if len(words) > 1 or len(_words(choice)) > 1:
            by_words = _word_score(words, _words(choice))
            if by_words >= _WORDS_CUTOFF:  # looser word matches would pair unrelated keys
                score = max(score, by_words)
        if score > best_score or (score == best_score and best is None):
            best, best_score = choice, score
    return best


def _words(text: str) -> list[str]:
    out = []
    for w in _SEP.split(text.lower()):
        out.extend(_SPELLED_OUT.get(w, (w,)) if w else ())
    return out


def _word_score(a: list[str], b: list[str]) -> float:
    """Each word's best character match among the other side's words, averaged over the
    words of both sides (so a word missing on either side counts against)."""
    import difflib

    if not a or not b:
        return 0.0

    def best(w: str, others: list[str]) -> float:
        return max(difflib.SequenceMatcher(None, w, o).ratio() for o in others)

    total = sum(best(w, b) for w in a) + sum(best(w, a) for w in b)
    return total / (len(a) + len(b))
