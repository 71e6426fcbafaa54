"""Where hnet-lint's documentation lives: one setting, so every format links the same page.

The repository URL is package metadata: ``[project.urls] Repository`` in ``pyproject.toml``.
Reports read it from the installed distribution at run time; :data:`FALLBACK_REPO_URL` is used
when hnet-lint runs from a source tree that was never installed, and a test keeps the two
equal (``tests/test_links.py``), so changing the home of the project is one edit in
``pyproject.toml`` plus this constant, which the test names if it is forgotten.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["FALLBACK_REPO_URL", "DOCS_BRANCH", "URL_LABEL", "repo_url", "rule_doc_path", "rule_doc_url"]

#: ``[project.urls] Repository`` of pyproject.toml, for a source tree without metadata.
FALLBACK_REPO_URL = "https://github.com/hnet-lint/hnet-lint"
#: The branch whose docs the links show.
DOCS_BRANCH = "main"
#: The metadata label of the repository URL in ``Project-URL`` (``[project.urls]`` key).
URL_LABEL = "Repository"


@lru_cache(maxsize=1)
def repo_url() -> str:
    """The project's home: the installed distribution's ``Repository`` URL, else the fallback."""
    from importlib import metadata

    try:
        entries = metadata.metadata("hnet-lint").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return FALLBACK_REPO_URL
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip() == URL_LABEL and url.strip():
            return url.strip().rstrip("/")
    return FALLBACK_REPO_URL


def rule_doc_path(code: str) -> str:
    """Repository-relative path of a rule's generated page."""
    return f"docs/rules/{code}.md"


def rule_doc_url(code: str) -> str:
    """Browsable URL of a rule's generated page."""
    return f"{repo_url()}/blob/{DOCS_BRANCH}/{rule_doc_path(code)}"
