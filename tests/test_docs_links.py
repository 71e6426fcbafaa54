"""One repository URL, from package metadata, used by every report and every example."""

from __future__ import annotations

import re
import subprocess
import sys

from hnet_lint.report import links

from .gate_helpers import ROOT

# [project.urls] of pyproject.toml (tomllib is 3.11+; the project supports 3.10)
_URLS = (ROOT / "pyproject.toml").read_text(encoding="utf-8").split("[project.urls]", 1)[1]
REPOSITORY = re.search(rf'^{links.URL_LABEL} = "([^"]+)"', _URLS.split("\n[", 1)[0], re.M).group(1)
SLUG = REPOSITORY.removeprefix("https://github.com/")
PLACEHOLDER = "<full 40-character commit SHA>"


def test_fallback_equals_the_package_metadata():
    assert links.FALLBACK_REPO_URL == REPOSITORY, (
        "pyproject.toml [project.urls] Repository changed: set links.FALLBACK_REPO_URL to it")
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPOSITORY)


def test_reports_link_the_metadata_url():
    url = links.repo_url()
    assert url == REPOSITORY
    assert links.rule_doc_url("HNL401") == f"{REPOSITORY}/blob/main/docs/rules/HNL401.md"


def test_metadata_is_read_when_installed(monkeypatch):
    """An installed distribution's Repository URL wins over the fallback."""
    from importlib import metadata

    class Meta:
        def get_all(self, name):
            assert name == "Project-URL"
            return ["Homepage, https://example.org", "Repository, https://github.com/o/r/"]

    monkeypatch.setattr(metadata, "metadata", lambda dist: Meta())
    links.repo_url.cache_clear()
    try:
        assert links.repo_url() == "https://github.com/o/r"
        assert links.rule_doc_url("HNL001").startswith("https://github.com/o/r/blob/main/")
    finally:
        links.repo_url.cache_clear()


def test_sarif_and_summary_use_it():
    out = subprocess.run([sys.executable, "-m", "hnet_lint", "--format", "sarif", "--no-cache",
                          "examples/incident/original.yaml"], cwd=ROOT, capture_output=True,
                         text=True).stdout
    assert f'"informationUri": "{REPOSITORY}"' in out
    assert f'"helpUri": "{REPOSITORY}/blob/main/docs/rules/' in out
    summary = (ROOT / "examples" / "github-step-summary.md").read_text(encoding="utf-8")
    assert f"]({REPOSITORY}/blob/main/docs/rules/" in summary


def _texts():
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True).stdout.split()
    for name in listed:
        if name.endswith((".md", ".yml", ".yaml", ".toml", ".py")) and not name.startswith("tests/"):
            path = ROOT / name
            if path.is_file():
                yield name, path.read_text(encoding="utf-8", errors="replace")


def test_every_mention_of_the_repository_is_the_one_setting():
    """`uses: OWNER/hnet-lint@REF`, pre-commit `repo:` and github.com links name one repository,
    and pin only a tag that exists, a full SHA, or the one documented placeholder."""
    tags = subprocess.run(["git", "tag", "--list"], cwd=ROOT, capture_output=True,
                          text=True).stdout.split()
    uses_seen = rev_seen = 0
    for name, text in _texts():
        for owner in re.findall(r"github\.com/([\w.-]+)/hnet-lint\b", text):
            assert f"{owner}/hnet-lint" == SLUG, (name, owner)
        for slug, ref in re.findall(r"uses: ([\w.<>-]+/hnet-lint)@(.+?)\s*$", text, re.M):
            uses_seen += 1
            assert slug == SLUG, (name, slug)
            assert ref == PLACEHOLDER or ref in tags or re.fullmatch(r"[0-9a-f]{40}", ref), (name, ref)
        for ref in re.findall(r"^\s*rev: (.+?)\s*(?:#.*)?$", text, re.M):
            rev_seen += 1
            assert ref == PLACEHOLDER or ref in tags or re.fullmatch(r"[0-9a-f]{40}", ref), (name, ref)
        assert "hnet-lint==" not in text, f"{name}: names a release that was never published"
        assert "@main" not in re.sub(r"#.*", "", text) or not name.endswith((".yml", ".yaml")), name
    assert uses_seen and rev_seen


def test_readme_says_how_to_fill_the_placeholder():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`{PLACEHOLDER}`" in readme and "git rev-parse HEAD" in readme
