"""hnet-lint: config linter, static validator and dry-run for H-Net training runs.

Importing this package stays torch-free: ``hnet_lint.inspect`` (the dry-run's checks on your
own model and optimizer) is loaded on first access.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "inspect":
        from .dryrun.inspect import inspect  # imports torch

        return inspect
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
