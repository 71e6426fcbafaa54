"""Output formats, looked up by name. Each reporter is ``render(report, ctx) -> str``.

Reporters are imported only when chosen, so the default text path never imports jinja2
or jsonschema. ``docgen`` renders the same catalogue as one Markdown page per code
(``docs/rules/``); ``links`` holds the URLs that SARIF and the job summary point to.

What enters: a finished lint report (findings per file). What leaves: text. It may import
every other part of the package; nothing in ``load/`` or ``check/`` imports it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["FORMATS", "get_reporter", "RenderContext"]

#: format name -> "module:function" (relative to this package)
FORMATS: dict[str, str] = {
    "text": "text:render",
    "concise": "text:render_concise",
    "json": "jsonfmt:render",
    "sarif": "sarif:render",
    "github": "github:render",
    "github-summary": "summary:render",
}


@dataclass
class RenderContext:
    """What reporters may need besides the diagnostics."""

    color: bool = False
    show_source: bool = True
    statistics: bool = False
    explain: bool = False
    """Text output: print each rule's "Why it matters" under its first finding."""
    sources: dict[str, list[str]] = field(default_factory=dict)
    """File -> lines, for code frames."""
    fixable: set = field(default_factory=set)
    """Findings that ``--fix`` would fix: marked ``[*]`` and counted in the summary."""


def get_reporter(name: str) -> Callable:
    module_name, func = FORMATS[name].split(":")
    module = importlib.import_module(f"{__name__}.{module_name}")
    return getattr(module, func)
