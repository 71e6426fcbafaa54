"""Walking up from a file to its repository root, the one way every lookup does it."""

from __future__ import annotations

import os

__all__ = ["folders_up_to_repo_root", "find_repo_root"]


def find_repo_root(start: str) -> str | None:
    """The nearest folder at or above ``start`` that holds ``.git``; ``None`` outside a
    repository."""
    here = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def folders_up_to_repo_root(start: str, *, outside_repo: str = "walk") -> list[str]:
    """``start`` (a folder) and each parent, ending with the repository root (the first
    folder that holds ``.git``).

    Outside a repository, ``outside_repo="walk"`` goes on to the file-system root (where
    settings files are looked for, as ruff does) and ``"stop"`` returns ``start`` alone
    (where a referenced file is looked for: a config outside any repository must not pick
    up a same-named file from ``/`` or the home folder).
    """
    here = os.path.abspath(start)
    root = find_repo_root(here)
    if root is None and outside_repo == "stop":
        return [here]
    folders = [here]
    while here != root:
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
        folders.append(here)
    return folders
