"""hnet-lint: config linter, static validator and dry-run for H-Net training runs.

The library entry point is :func:`hnet_lint.api.lint_paths`. Importing this package is
cheap: nothing here pulls in pydantic, torch or jinja2 until it is used, and
``hnet_lint.inspect`` (the dry-run's checks on your own model and optimizer) is loaded on
first access.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "inspect":
        from .dryrun.inspect import inspect  # imports torch

        return inspect
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
