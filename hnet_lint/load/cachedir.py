"""Where hnet-lint may keep files between runs, outside any repository."""

from __future__ import annotations

import os

__all__ = ["user_cache_dir", "ensure_cache_folder"]


def user_cache_dir() -> str:
    """``$HNET_LINT_CACHE_DIR`` if set; else ``hnet-lint`` in the user's cache folder
    (``$XDG_CACHE_HOME`` or ``~/.cache``; ``%LOCALAPPDATA%`` on Windows)."""
    env = os.environ.get("HNET_LINT_CACHE_DIR")
    if env:
        return env
    if os.name == "nt" and os.environ.get("LOCALAPPDATA"):
        return os.path.join(os.environ["LOCALAPPDATA"], "hnet-lint", "Cache")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "hnet-lint")


def ensure_cache_folder(folder: str) -> None:
    """Create ``folder`` if needed, with a ``.gitignore`` that keeps it out of commits
    (written whenever it is missing, whichever of hnet-lint's caches came first)."""
    os.makedirs(folder, exist_ok=True)
    ignore = os.path.join(folder, ".gitignore")
    if not os.path.isfile(ignore):
        with open(ignore, "w", encoding="utf-8") as fh:
            fh.write("# created by hnet-lint: never commit the cache\n*\n")
