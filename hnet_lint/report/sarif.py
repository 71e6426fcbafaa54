"""``--format sarif``: SARIF 2.1.0 shaped for GitHub code scanning.

What GitHub needs and what it punishes (see docs/linter-anchors.md §2): one run with the
driver's rules (id, descriptions, help), results with exactly one location whose URI is
repository-relative and whose region is complete, ``results: []`` when clean (a missing
array breaks uploads), and fingerprints that do not move with line numbers, or alerts
churn on every edit above them.
"""

from __future__ import annotations

import json
from typing import Any

from ..diagnostics import Diagnostic, Severity
from ..check.fingerprint import fingerprints, repo_relative, repo_root
from .links import repo_url, rule_doc_url

__all__ = ["render", "build_log", "SARIF_SCHEMA_URI", "tool_version"]

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
# GitHub caps shortDescription at 1024 characters and rule names at 255.
_SHORT_MAX, _NAME_MAX = 1024, 255


def tool_version() -> str:
    """The installed version, or the source tree's when run from a checkout."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hnet-lint")
    except PackageNotFoundError:
        return "0.1.0+source"


def _rule_entry(code: str, diag: Diagnostic) -> dict[str, Any]:
    from ..catalog import catalog as registry

    meta = registry().get(code)
    name = meta.name if meta else diag.name or code
    doc = meta.doc if meta else diag.message
    summary = (meta.summary if meta else diag.message)[:_SHORT_MAX]
    severity = meta.severity if meta else diag.severity
    return {
        "id": code,
        "name": name[:_NAME_MAX],
        "shortDescription": {"text": summary},
        "fullDescription": {"text": doc},
        "help": {"text": doc, "markdown": doc},
        "helpUri": rule_doc_url(code),
        "defaultConfiguration": {"level": _LEVEL[severity]},
        "properties": {"tags": [meta.area if meta else "input"]},
    }


def _location(diag: Diagnostic, root: str) -> dict[str, Any]:
    span = diag.span
    rel = repo_relative(span.file, root)
    artifact: dict[str, Any] = (
        {"uri": _uri(rel), "uriBaseId": "%SRCROOT%"} if rel is not None
        else {"uri": _uri(span.file.replace("\\", "/"))}
    )
    # SARIF forbids 0 and negative positions; clamp so a bad span cannot void the upload.
    line, col = max(1, span.line), max(1, span.column)
    end_line = max(line, span.end_line)
    end_col = max(1, span.end_column)
    if end_line == line:
        end_col = max(col, end_col)
    return {"physicalLocation": {
        "artifactLocation": artifact,
        "region": {"startLine": line, "startColumn": col,
                   "endLine": end_line, "endColumn": end_col},
    }}


def _uri(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/:")


def _suppressions(diag: Diagnostic) -> list[dict[str, Any]]:
    data = diag.data or {}
    if data.get("baseline"):
        return [{"kind": "external", "status": "accepted",
                 "justification": "listed in the hnet-lint baseline"}]
    reason = data.get("suppression_reason") or "suppressed by an hnet-lint: ignore comment"
    return [{"kind": "inSource", "status": "accepted", "justification": reason}]


def _result(diag: Diagnostic, rule_index: int, fp: str, root: str) -> dict[str, Any]:
    message = diag.message if not diag.key else f"{diag.message} (at `{diag.key}`)"
    result: dict[str, Any] = {
        "ruleId": diag.code,
        "ruleIndex": rule_index,
        "level": _LEVEL[diag.severity],
        "message": {"text": message},
        "locations": [_location(diag, root)],
        # GitHub only matches alerts on primaryLocationLineHash; giving our own,
        # line-independent value keeps alerts stable when unrelated lines move.
        "partialFingerprints": {"primaryLocationLineHash": fp, "hnetLint/v1": fp},
        "properties": {"key": diag.key, "phase": diag.phase},
    }
    if diag.suppressed:
        result["suppressions"] = _suppressions(diag)
    return result


def build_log(report) -> dict[str, Any]:
    """The SARIF log as a dict (one run)."""
    root = repo_root()
    diags = list(report.diagnostics)
    fps = fingerprints(diags, root)
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for diag, fp in zip(diags, fps):
        if diag.code not in index:
            index[diag.code] = len(rules)
            rules.append(_rule_entry(diag.code, diag))
        results.append(_result(diag, index[diag.code], fp, root))
    dynamic = any(d.phase != "static" for d in diags)
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "hnet-lint",
                "version": tool_version(),
                "informationUri": repo_url(),
                "rules": rules,
            }},
            "automationDetails": {"id": f"hnet-lint/{'dry-run' if dynamic else 'static'}/"},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": _root_uri(root)}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def _root_uri(root: str) -> str:
    from pathlib import Path

    uri = Path(root).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def render(report, ctx) -> str:
    return json.dumps(build_log(report), indent=2, ensure_ascii=False) + "\n"
