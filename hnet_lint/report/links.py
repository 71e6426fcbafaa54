"""Where hnet-lint's documentation lives: one constant, so every format links the same page."""

from __future__ import annotations

__all__ = ["REPO_URL", "DOCS_BRANCH", "rule_doc_path", "rule_doc_url"]

#: The project's home. Reports (SARIF ``helpUri``, the job summary) link rule pages under it.
REPO_URL = "https://github.com/hnet-lint/hnet-lint"
DOCS_BRANCH = "main"


def rule_doc_path(code: str) -> str:
    """Repository-relative path of a rule's generated page."""
    return f"docs/rules/{code}.md"


def rule_doc_url(code: str) -> str:
    """Browsable URL of a rule's generated page."""
    return f"{REPO_URL}/blob/{DOCS_BRANCH}/{rule_doc_path(code)}"
