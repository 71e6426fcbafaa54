"""The README stays true: every rule is documented and the example output is current."""

from __future__ import annotations

import re

from hnet_lint.catalog import catalog

from .conftest import ROOT


def test_readme_lists_every_rule_with_its_name():
    text = (ROOT / "README.md").read_text()
    for meta in catalog().values():
        assert re.search(rf"\| {meta.code} \| `{meta.name}` \| {meta.severity.label} \|", text), meta.code


def test_readme_states_the_ci_commands():
    text = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'pip install -e ".[dev,dry-run]" && python -m pytest' in text
    assert 'pip install -e ".[dev,dry-run]" && python -m pytest' in ci
