"""Walking up from a file to its repository root, the one way every lookup does it."""

from __future__ import annotations

import os

__all__ = ["folders_up_to_repo_root"]


def folders_up_to_repo_root(start: str) -> list[str]:
    """``start`` (a folder) and each parent, ending with the first folder that holds
    ``.git`` (the repository root) or with the file-system root."""
    here = os.path.abspath(start)
    folders = [here]
    while not os.path.exists(os.path.join(here, ".git")):
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
        folders.append(here)
    return folders
