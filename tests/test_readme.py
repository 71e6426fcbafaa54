"""The README stays a short, true front page: the two commands, the surfaces, the links."""

from __future__ import annotations

import re

from hnet_lint.catalog import catalog

from .conftest import ROOT

README = ROOT / "README.md"


def _text() -> str:
    return README.read_text(encoding="utf-8")


def test_readme_states_the_ci_commands():
    text = _text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install . && hnet-lint examples/" in text
    assert 'pip install -e ".[dev,dry-run]" && python -m pytest' in text
    assert 'pip install -e ".[dev,dry-run]" && python -m pytest' in ci


def test_readme_is_a_five_minute_page():
    """Reference material lives in docs/: no rule table, no history table, no long sections."""
    text = _text()
    assert len(text.splitlines()) <= 200
    assert not re.search(r"^\| HNL\d{3} \|", text, re.M)          # the rule table moved
    assert "| commit | file | profile |" not in text                # the history table moved
    sections = re.findall(r"^## (.+)$", text, re.M)
    assert sections[:2] == ["Quick start", "What it says about the motivating run"]


def test_readme_links_every_reference_page():
    text = _text()
    for page in ("docs/rules/README.md", "docs/configuration.md", "docs/outputs.md",
                 "docs/trainers.md", "docs/dryrun.md", "docs/analyze.md", "docs/api.md",
                 "docs/watch.md", "docs/ci.md", "docs/inputs.md", "docs/README.md"):
        assert f"]({page}" in text, page


def test_rule_index_lists_every_rule_with_its_name():
    """The README links the generated index, which names every code with its default severity."""
    index = (ROOT / "docs" / "rules" / "README.md").read_text(encoding="utf-8")
    for meta in catalog().values():
        assert re.search(rf"\| \[{meta.code}\]\({meta.code}\.md\) \| {meta.name} \| "
                         rf"{meta.severity.label} \|", index), meta.code
    assert f"{len(catalog())} codes" in index
    assert f"{len(catalog())} codes, each with" in _text()


def test_every_relative_link_resolves():
    """Links in the README and docs/ point at files that exist (docs/watch.md: the lead's page)."""
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#", 1)[0]).resolve()
            if path == (ROOT / "docs" / "watch.md").resolve():
                continue  # written by the watch work; linked from here ahead of it
            assert path.exists(), f"{page.relative_to(ROOT)}: {target}"
