"""docs/rules/ is generated from the registry and must not be stale."""

from __future__ import annotations

from hnet_lint.report.docgen import render_pages, stale_pages
from hnet_lint.catalog import catalog as registry

from .gate_helpers import ROOT


def test_rule_docs_are_fresh():
    stale = stale_pages(ROOT / "docs" / "rules")
    assert not stale, f"stale rule docs {stale}: run `python -m hnet_lint.report.docgen`"


def test_every_rule_has_a_page_and_an_index_row(tmp_path):
    pages = render_pages(tmp_path / "no-cases")
    codes = set(registry())
    assert {name[:-3] for name in pages if name.startswith("HNL")} == codes
    assert all(f"]({code}.md)" in pages["README.md"] for code in codes)
    assert "## Why it matters" in pages["HNL204.md"]


def test_case_folders_are_rendered_when_present(tmp_path):
    folder = tmp_path / "rules" / "HNL204-lr-multiplier-ratio"
    folder.mkdir(parents=True)
    (folder / "bad.yaml").write_text("optimizer: {lr_multiplier: [3.0, 1.7, 0.9]}\n")
    (folder / "good.yaml").write_text("optimizer: {lr_multiplier: [2.0, 1.5, 1.0]}\n")
    page = render_pages(tmp_path / "rules")["HNL204.md"]
    assert "## Tested cases" in page
    assert page.index("rules/HNL204-lr-multiplier-ratio/bad.yaml") < page.index("good.yaml")
    assert "[2.0, 1.5, 1.0]}\n```" in page
