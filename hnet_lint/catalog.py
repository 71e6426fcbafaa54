"""Every code hnet-lint can report, in one table: static (HNL0xx-7xx), dry-run (HNL8xx)
and log analysis (HNL9xx).

The lint path only needs :func:`hnet_lint.check.engine.registry`; this catalogue is for the
commands that explain or document codes (``rules``, ``rule``, the docs generator). The
dry-run's and the analyzer's registries are torch- and matplotlib-free, so building it stays
cheap.
"""

from __future__ import annotations

from .check.engine import Rule, registry

__all__ = ["catalog"]


_CATALOG: dict[str, Rule] | None = None


def catalog() -> dict[str, Rule]:
    """All codes, sorted, each as a :class:`~hnet_lint.check.engine.Rule` (``check`` is ``None``
    for codes that are not static rules)."""
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = _build()
    return _CATALOG


def _build() -> dict[str, Rule]:
    from .analyze.detectors import analyze_codes
    from .dryrun.codes import DRYRUN_CODES

    table = dict(registry())
    for code, d in DRYRUN_CODES.items():
        table.setdefault(code, Rule(code, d.name, d.severity, f"dry-run {d.phase}, {d.evidence}",
                                    d.doc, options=d.options, option_specs=d.option_specs))
    for code, meta in analyze_codes().items():
        table.setdefault(code, Rule(code, meta.name, meta.severity, "analyze", meta.doc,
                                    options=meta.options))
    return dict(sorted(table.items()))
