"""``--format json``: a JSON array of diagnostics, the stable machine contract."""

from __future__ import annotations

import json

__all__ = ["render"]


def render(report, ctx) -> str:
    items = [d.to_dict() for d in report.diagnostics if not d.suppressed]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"
