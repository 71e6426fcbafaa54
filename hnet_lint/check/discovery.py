"""Which files to lint: named files always, directories searched for H-Net configs."""

from __future__ import annotations

import os
from typing import Iterator

__all__ = ["iter_candidate_files", "CONFIG_EXTENSIONS"]

CONFIG_EXTENSIONS = (".yaml", ".yml", ".json")
_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv",
              ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "build", "dist",
              "site-packages", ".hypothesis"}


def iter_candidate_files(path: str) -> Iterator[tuple[str, bool]]:
    """Yield ``(file, explicit)``. Files under a directory are candidates only (they are
    linted when they look like an H-Net config); a named file is always linted."""
    if not os.path.isdir(path):
        yield path, True
        return
    found = False
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            if name.lower().endswith(CONFIG_EXTENSIONS):
                found = True
                yield os.path.join(root, name), False
    if not found and path.rstrip("/" + os.sep).lower().endswith(CONFIG_EXTENSIONS):
        yield path, True  # a folder named like a config file: report it as unreadable
