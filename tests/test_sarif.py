"""SARIF output: schema-valid in every shape, GitHub's required fields, stable fingerprints."""

from __future__ import annotations

import json

import pytest

from hnet_lint.api import Report
from hnet_lint.diagnostics import Diagnostic, Severity, Span
from hnet_lint.report import RenderContext, get_reporter
from hnet_lint.report.sarif import build_log

from .gate_helpers import lint_in, make_repo, sarif_validator

VALIDATOR = sarif_validator()

SUPPRESSED = """\
model: models/hnet_1stage_tiny.json
training:
  param_dtype: bfloat16  # hnet-lint: ignore[HNL401] measured: fine for this ablation
"""


def _check(log: dict) -> dict:
    """Schema-valid and carrying everything GitHub code scanning requires."""
    errors = sorted(VALIDATOR.iter_errors(log), key=str)
    assert not errors, errors[0].message
    assert log["$schema"] and log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "hnet-lint" and driver["version"]
    assert run["columnKind"] == "unicodeCodePoints"
    assert isinstance(run["results"], list)  # present even when empty
    ids = [r["id"] for r in driver["rules"]]
    assert len(ids) == len(set(ids))
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and len(rule["shortDescription"]["text"]) <= 1024
        assert rule["fullDescription"]["text"] and rule["help"]["text"]
        assert rule["help"]["markdown"] and len(rule["name"]) <= 255
        assert rule["helpUri"].endswith(f"docs/rules/{rule['id']}.md")
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    for result in run["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note") and result["message"]["text"]
        assert len(result["locations"]) == 1
        loc = result["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:")) and loc["artifactLocation"]["uriBaseId"]
        region = loc["region"]
        assert set(region) == {"startLine", "startColumn", "endLine", "endColumn"}
        assert region["startLine"] >= 1 and region["endLine"] >= region["startLine"]
        assert result["partialFingerprints"]["primaryLocationLineHash"]
    return log


def _results(log: dict) -> list[dict]:
    return log["runs"][0]["results"]


def test_clean_run_has_empty_results(tmp_path, monkeypatch):
    make_repo(tmp_path, with_examples=False)
    monkeypatch.chdir(tmp_path / "repo")
    log = _check(build_log(Report(files=["a.yaml"])))
    assert _results(log) == [] and log["runs"][0]["tool"]["driver"]["rules"] == []
    assert log["runs"][0]["automationDetails"]["id"] == "hnet-lint/static/"


def test_findings_from_examples(tmp_path, monkeypatch):
    repo = make_repo(tmp_path)
    report = lint_in(repo, ["examples"], monkeypatch)
    log = _check(json.loads(get_reporter("sarif")(report, RenderContext())))
    results = _results(log)
    assert len(results) == len(report.diagnostics) > 0
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert "examples/incident/original.yaml" in uris
    fps = [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]
    assert len(fps) == len(set(fps))


def test_suppressed_finding_is_kept_with_justification(tmp_path, monkeypatch):
    repo = make_repo(tmp_path)
    (repo / "examples" / "sup.yaml").write_text(SUPPRESSED)
    report = lint_in(repo, ["examples/sup.yaml"], monkeypatch)
    log = _check(build_log(report))
    hidden = [r for r in _results(log) if r.get("suppressions")]
    assert hidden and hidden[0]["ruleId"] == "HNL401"
    assert hidden[0]["suppressions"] == [{
        "kind": "inSource", "status": "accepted",
        "justification": "measured: fine for this ablation"}]


def test_parse_error(tmp_path, monkeypatch):
    repo = make_repo(tmp_path, with_examples=False)
    (repo / "bad.yaml").write_text("model: [unclosed\n")
    log = _check(build_log(lint_in(repo, ["bad.yaml"], monkeypatch)))
    assert [r["ruleId"] for r in _results(log)] == ["HNL000"]
    assert _results(log)[0]["level"] == "error"


def test_multiline_span_and_dry_run_category(tmp_path, monkeypatch):
    make_repo(tmp_path, with_examples=False)
    monkeypatch.chdir(tmp_path / "repo")
    diag = Diagnostic(Span("cfg.yaml", 3, 5, 7, 2), "HNL401", Severity.WARNING,
                      "multi-line", name="low-precision-parameters", phase="probe")
    log = _check(build_log(Report([diag], ["cfg.yaml"])))
    region = _results(log)[0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": 5, "endLine": 7, "endColumn": 2}
    assert log["runs"][0]["automationDetails"]["id"] == "hnet-lint/dry-run/"


def test_degenerate_span_is_clamped(tmp_path, monkeypatch):
    make_repo(tmp_path, with_examples=False)
    monkeypatch.chdir(tmp_path / "repo")
    diag = Diagnostic(Span("cfg.yaml", 0, 0, 0, 0), "HNL000", Severity.ERROR, "x")
    _check(build_log(Report([diag], ["cfg.yaml"])))


def test_fingerprints_survive_inserted_lines(tmp_path, monkeypatch):
    repo = make_repo(tmp_path)
    target = repo / "examples" / "incident" / "original.yaml"
    before = build_log(lint_in(repo, ["examples/incident/original.yaml"], monkeypatch))
    target.write_text("# a new comment line\n# and another\n" + target.read_text())
    after = build_log(lint_in(repo, ["examples/incident/original.yaml"], monkeypatch))

    def by_fp(log):
        return {r["partialFingerprints"]["primaryLocationLineHash"]:
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                for r in _results(log)}

    old, new = by_fp(before), by_fp(after)
    assert old.keys() == new.keys() and old
    assert all(new[fp] == old[fp] + 2 for fp in old)


def test_two_findings_on_one_line_differ(tmp_path, monkeypatch):
    make_repo(tmp_path, with_examples=False)
    monkeypatch.chdir(tmp_path / "repo")
    span = Span("cfg.yaml", 4, 3, 4, 9)
    same = [Diagnostic(span, "HNL002", Severity.WARNING, "`2e-4` ...", path=("lr",)),
            Diagnostic(span, "HNL002", Severity.WARNING, "`2e-4` ...", path=("lr",)),
            Diagnostic(span, "HNL003", Severity.WARNING, "`yes` ...", path=("lr",))]
    fps = [r["partialFingerprints"]["primaryLocationLineHash"]
           for r in _results(_check(build_log(Report(same, ["cfg.yaml"]))))]
    assert len(set(fps)) == 3


@pytest.mark.parametrize("level,expected", [(Severity.ERROR, "error"),
                                            (Severity.WARNING, "warning"),
                                            (Severity.INFO, "note")])
def test_levels(tmp_path, monkeypatch, level, expected):
    make_repo(tmp_path, with_examples=False)
    monkeypatch.chdir(tmp_path / "repo")
    diag = Diagnostic(Span("c.yaml", 1, 1, 1, 2), "HNL207", level, "m")
    assert _results(build_log(Report([diag], ["c.yaml"])))[0]["level"] == expected
