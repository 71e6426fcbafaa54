"""Line-independent fingerprints of findings, shared by SARIF and the baseline.

A finding is identified by its rule, its repository-relative file and the key path of the
offending value, so inserting or moving unrelated lines does not change it (GitHub would
otherwise close and reopen alerts, and a baseline would stop matching). Findings without
a key path (parser-level ones) use their message, which quotes the offending text.
Identical identities in one file are told apart by an occurrence index in file order,
so two findings on one line never collide.
"""

from __future__ import annotations

import hashlib
import os
from typing import Iterable

from ..diagnostics import Diagnostic
from ..repo import folders_up_to_repo_root

__all__ = ["repo_root", "repo_relative", "fingerprints", "FINGERPRINT_VERSION"]

#: Bumped when the identity changes, so old baselines are recognized as such.
FINGERPRINT_VERSION = 1


def repo_root(start: str | None = None) -> str:
    """The repository root: ``$GITHUB_WORKSPACE`` in Actions, else the nearest folder with
    ``.git`` above ``start`` (the working directory), else ``start`` itself."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace and os.path.isdir(workspace):
        return os.path.realpath(workspace)
    here = os.path.realpath(start or os.getcwd())
    top = folders_up_to_repo_root(here)[-1]
    return top if os.path.exists(os.path.join(top, ".git")) else here


def repo_relative(file: str, root: str | None = None) -> str | None:
    """``file`` relative to the repository root with ``/`` separators; ``None`` if outside."""
    root = root or repo_root()
    rel = os.path.relpath(os.path.realpath(file), root)
    if rel == os.curdir or rel.startswith(os.pardir):
        return None
    return rel.replace(os.sep, "/")


def _identity(diag: Diagnostic, file: str) -> str:
    anchor = f"key={diag.key}" if diag.path else f"msg={diag.message}"
    return "\x1f".join((diag.code, file, anchor))


def fingerprints(diags: Iterable[Diagnostic], root: str | None = None) -> list[str]:
    """One 32-hex-digit fingerprint per diagnostic, in the order given.

    Give diagnostics in file order (``Report.diagnostics`` is sorted) so occurrence
    indexes are deterministic. Suppression state does not enter the identity.
    """
    root = root or repo_root()
    seen: dict[str, int] = {}
    out = []
    for diag in diags:
        file = repo_relative(diag.span.file, root) or diag.span.file.replace(os.sep, "/")
        ident = _identity(diag, file)
        index = seen.get(ident, 0)
        seen[ident] = index + 1
        blob = f"v{FINGERPRINT_VERSION}\x1f{ident}\x1f{index}".encode("utf-8")
        out.append(hashlib.sha256(blob).hexdigest()[:32])
    return out
