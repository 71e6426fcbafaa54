"""hnet-lint: config linter, static validator and dry-run for H-Net training runs.

The library entry point is :func:`hnet_lint.api.lint_paths`. Importing this package is
cheap: nothing here pulls in pydantic, torch or jinja2 until it is used.
"""

__version__ = "0.1.0"
