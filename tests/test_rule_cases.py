"""Rule cases as data: one folder per code under ``rules/``, checked by a small harness.

Each ``rules/<CODE>-<name>/`` holds ``bad.yaml`` (or ``bad.json``), ``good.yaml`` (or
``good.json``) and ``expected.txt``. ``expected.txt`` is the full concise output of
``hnet-lint --isolated --no-source --format concise <bad file>`` run inside the folder;
``pytest --update-golden`` rewrites it. Lines of a YAML ``bad`` file that must produce a
code carry a trailing ``# expect: HNL105`` (several codes: ``# expect: HNL106, HNL107``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from hnet_lint.check import engine
from hnet_lint.api import lint_paths
from hnet_lint.cli import cli
from hnet_lint.check.engine import Rule, registry
from hnet_lint.check.settings import Settings

from .conftest import ROOT

RULES_DIR = ROOT / "rules"
CASE_DIRS = sorted(p for p in RULES_DIR.iterdir() if p.is_dir() and any(p.glob("bad.*")))
EXPECT = re.compile(r"#\s*expect:\s*(HNL\d{3}(?:\s*,\s*HNL\d{3})*)\s*$")
HEADINGS = ("## Why it matters", "## Example", "## Use instead")
#: Codes without a bad case: HNL012 reports a crash in hnet-lint itself, and a config that
#: crashes a rule on purpose would be a bug to fix, not a case to keep. Its folder holds only
#: a README; the engine behaviour is tested below with an injected crashing rule.
NO_BAD_CASE = {"HNL012"}


def _one(folder: Path, stem: str) -> Path:
    found = sorted(folder.glob(f"{stem}.*"))
    assert len(found) == 1, f"{folder.name}: expected one {stem}.* file, found {found}"
    return found[0]


def _concise(folder: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    """The CLI's concise output for ``name`` with the folder as working directory."""
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(
        cli, ["--isolated", "--no-source", "--format", "concise", name])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.stdout, result.exit_code


def _found(folder: Path, name: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(folder)
    return lint_paths([name], Settings()).active


def _expectations(path: Path) -> set[tuple[int, str]]:
    out = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = EXPECT.search(line)
        if match:
            out |= {(number, code.strip()) for code in match.group(1).split(",")}
    return out


def _code_of(folder: Path) -> str:
    return folder.name.split("-", 1)[0]


@pytest.mark.parametrize("folder", CASE_DIRS, ids=lambda p: p.name)
def test_bad_case_matches_golden(folder: Path, monkeypatch: pytest.MonkeyPatch,
                                 update_golden: bool) -> None:
    """The full concise output of the bad file equals ``expected.txt``."""
    bad = _one(folder, "bad")
    output, code = _concise(folder, bad.name, monkeypatch)
    golden = folder / "expected.txt"
    if update_golden:
        golden.write_text(output)
    assert golden.exists(), f"run pytest --update-golden to create {golden}"
    assert output == golden.read_text()
    assert code != 0 or "[info]" in output


@pytest.mark.parametrize("folder", CASE_DIRS, ids=lambda p: p.name)
def test_bad_case_flags_every_marked_line(folder: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Each ``# expect: CODE`` line gets that code on that line of the bad file, and the
    folder's own code is reported at least once."""
    bad = _one(folder, "bad")
    diags = _found(folder, bad.name, monkeypatch)
    got = {(d.span.line, d.code) for d in diags if d.span.file == bad.name}
    wanted = _expectations(bad) if bad.suffix == ".yaml" else set()
    assert wanted <= got, f"missing: {sorted(wanted - got)}"
    assert _code_of(folder) in {d.code for d in diags}
    if bad.suffix == ".yaml":
        own = {line for line, code in got if code == _code_of(folder)}
        assert own == {line for line, code in wanted if code == _code_of(folder)}, \
            "every line with the folder's code must be marked"


@pytest.mark.parametrize("folder", CASE_DIRS, ids=lambda p: p.name)
def test_good_case_is_silent_for_its_code(folder: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Near-misses in ``good.*`` never produce the folder's code."""
    good = _one(folder, "good")
    diags = _found(folder, good.name, monkeypatch)
    assert _code_of(folder) not in {d.code for d in diags}
    assert not [d for d in diags if d.code in ("HNL000", "HNL012")]


def test_every_registered_code_has_a_case_folder() -> None:
    """One ``rules/<CODE>-<name>/`` per code, named after the rule, with a bad case unless
    the code is listed in NO_BAD_CASE (with the reason)."""
    folders = {p.name for p in RULES_DIR.iterdir() if p.is_dir()}
    expected = {f"{code}-{meta.name}" for code, meta in registry().items()}
    assert folders == expected
    with_cases = {p.name for p in CASE_DIRS}
    missing = {f for f in expected - with_cases if f.split("-", 1)[0] not in NO_BAD_CASE}
    assert not missing


@pytest.mark.parametrize("meta", list(registry().values()), ids=lambda r: r.code)
def test_rule_metadata_is_documented(meta: Rule) -> None:
    """Codes look like HNLnnn, names are kebab case, and rules with a check function
    document Why / Example / Use instead; built-in codes need a summary."""
    assert re.fullmatch(r"HNL\d{3}", meta.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", meta.name)
    assert meta.doc.strip() and meta.summary.strip()
    if meta.check is not None:
        positions = [meta.doc.find(h) for h in HEADINGS]
        assert all(p > 0 for p in positions), f"{meta.code} lacks {HEADINGS}"
        assert positions == sorted(positions)


def test_codes_and_names_are_unique() -> None:
    """No two rules share a code or a name (ALL_RULES is checked, not the deduplicated
    registry, since the registry is keyed by code)."""
    from hnet_lint.check.rules import ALL_RULES

    metas = [fn.__hnl_rule__ for fn in ALL_RULES] + list(
        r for r in registry().values() if r.check is None)
    codes = [m.code for m in metas]
    names = [m.name for m in metas]
    assert len(codes) == len(set(codes))
    assert len(names) == len(set(names))


def test_crashing_rule_becomes_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """HNL012: a rule that raises is reported once, naming itself, and the others still run."""

    def boom(run, ctx):
        raise ZeroDivisionError("injected")

    table = dict(registry())
    table["HNL999"] = Rule("HNL999", "always-crashes", table["HNL119"].severity, "test",
                           "Crashes.", check=boom)
    monkeypatch.setattr(engine, "_REGISTRY", table)
    folder = RULES_DIR / "HNL119-vocab-too-small"
    diags = _found(folder, "bad.yaml", monkeypatch)
    crash = [d for d in diags if d.code == "HNL012"]
    assert len(crash) == 1 and "HNL999" in crash[0].message and "injected" in crash[0].message
    assert "HNL119" in {d.code for d in diags}


@pytest.mark.parametrize(("value", "message"), [
    ("null", "disabled (null)"), ("0", "disabled (0)"), (None, "disabled (not set)"),
    ("[1.0]", None),  # invalid: HNL007 reports it, HNL306 must not call it "not set"
])
def test_no_clipping_message_says_what_was_written(value: str | None, message: str | None,
                                                   lint_text) -> None:
    """HNL306 distinguishes null, 0 and absent, and stays quiet on an invalid value."""
    training = f"training: {{grad_clip: {value}}}\n" if value is not None else ""
    source = (RULES_DIR / "HNL306-no-gradient-clipping" / "good.yaml").read_text()
    model = source.split("routing:")[0]
    report = lint_text({"run.yaml": model + training})
    found = [d.message for d in report.active if d.code == "HNL306"]
    if message is None:
        assert found == [] and "HNL007" in {d.code for d in report.active}
    else:
        assert len(found) == 1 and message in found[0]
