"""Baselines: adopt hnet-lint on a repository with existing findings, fail only on new ones.

``--write-baseline`` records the fingerprint of every current finding; ``--baseline FILE``
then marks findings whose fingerprint is listed as suppressed (``data["baseline"]``), so
they are counted as baselined, shown as suppressed in SARIF, and do not fail the run.
Fingerprints come from :mod:`hnet_lint.check.fingerprint`, the same function SARIF uses, so a
baseline survives unrelated edits exactly as far as code-scanning alerts do.
"""

from __future__ import annotations

import json
from dataclasses import replace

from ..diagnostics import HnetLintError
from .fingerprint import FINGERPRINT_VERSION, fingerprints, repo_relative

__all__ = ["write_baseline", "load_baseline", "apply_baseline", "gate", "DEFAULT_BASELINE"]


def write_baseline(report, path: str) -> int:
    """Write every active finding of ``report`` to ``path``; returns how many."""
    entries = {}
    for diag, fp in zip(report.diagnostics, fingerprints(report.diagnostics)):
        if diag.suppressed and not (diag.data or {}).get("baseline"):
            continue  # inline suppressions already carry their own reason
        entries[fp] = {"code": diag.code, "file": repo_relative(diag.span.file)
                       or diag.span.file, "key": diag.key}
    blob = {"tool": "hnet-lint", "fingerprint_version": FINGERPRINT_VERSION,
            "findings": dict(sorted(entries.items(), key=lambda kv: (
                kv[1]["file"], kv[1]["code"], kv[1]["key"], kv[0])))}
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(blob, fh, indent=2, sort_keys=False)
        fh.write("\n")
    return len(entries)


def load_baseline(path: str) -> set[str]:
    """The fingerprints listed in a baseline file."""
    try:
        with open(path, encoding="utf-8") as fh:
            blob = json.load(fh)
    except OSError as exc:
        raise HnetLintError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise HnetLintError(f"baseline {path} is not valid JSON: {exc}") from None
    if not isinstance(blob, dict) or not isinstance(blob.get("findings"), dict):
        raise HnetLintError(f"baseline {path} has no `findings` object; rewrite it with "
                            "--write-baseline")
    if blob.get("fingerprint_version") != FINGERPRINT_VERSION:
        raise HnetLintError(f"baseline {path} was written by another fingerprint version; "
                            "rewrite it with --write-baseline")
    return set(blob["findings"])


def apply_baseline(report, known: set[str]) -> int:
    """Mark findings listed in ``known`` as baselined; returns how many matched."""
    out, matched = [], 0
    for diag, fp in zip(report.diagnostics, fingerprints(report.diagnostics)):
        if fp in known and not diag.suppressed:
            diag = replace(diag, suppressed=True, data={**(diag.data or {}), "baseline": True})
            matched += 1
        out.append(diag)
    report.diagnostics = out
    return matched


DEFAULT_BASELINE = ".hnet-lint-baseline.json"


def gate(report, path: str | None, write: bool) -> bool:
    """The CLI's ``--baseline``/``--write-baseline`` step. Returns ``True`` when the run
    should stop here (a baseline was written)."""
    import click

    if write:
        target = path or DEFAULT_BASELINE
        count = write_baseline(report, target)
        click.echo(f"hnet-lint: wrote {count} finding{'s' if count != 1 else ''} to {target}",
                   err=True)
        return True
    matched = apply_baseline(report, load_baseline(path))
    if matched:
        click.echo(f"hnet-lint: {matched} finding{'s' if matched != 1 else ''} in the "
                   f"baseline {path}", err=True)
    return False
