"""GitHub workflow commands: escaping, caps, ordering, plain-text fallback, job summary."""

from __future__ import annotations

from hnet_lint.api import Report
from hnet_lint.diagnostics import Diagnostic, Severity, Span
from hnet_lint.report import RenderContext, get_reporter
from hnet_lint.report.github import annotation, escape_data, escape_property
from hnet_lint.report.summary import render_summary

from .gate_helpers import lint_in, make_repo


def _diag(sev: Severity, line: int, code: str = "HNL204", **kw) -> Diagnostic:
    span = kw.pop("span", Span("cfg.yaml", line, 3, line, 9))
    return Diagnostic(span, code, sev, kw.pop("message", f"finding {line}"),
                      name="lr-multiplier-ratio", **kw)


def _render(report: Report) -> str:
    return get_reporter("github")(report, RenderContext())


def test_escaping():
    assert escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    line = annotation(_diag(Severity.ERROR, 2, span=Span("dir,x/a:b.yaml", 2, 3, 2, 9),
                            message="50% off: a, b\nc"))
    assert line.startswith("::error file=dir%2Cx/a%3Ab.yaml,line=2,endLine=2,col=3,endColumn=9,"
                           "title=HNL204 (lr-multiplier-ratio)::")
    assert line.endswith("::50%25 off: a, b%0Ac")


def test_multiline_span_drops_columns():
    line = annotation(_diag(Severity.WARNING, 1, span=Span("c.yaml", 1, 4, 3, 2)))
    assert "line=1,endLine=3,title=" in line and "col=" not in line


def test_caps_most_severe_first_and_everything_in_the_log(monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    diags = ([_diag(Severity.INFO, i) for i in range(1, 31)]
             + [_diag(Severity.WARNING, i) for i in range(31, 61)]
             + [_diag(Severity.ERROR, i) for i in range(61, 91)])
    out = _render(Report(sorted(diags), ["cfg.yaml"])).splitlines()
    errors = [x for x in out if x.startswith("::error ")]
    warnings = [x for x in out if x.startswith("::warning ")]
    notices = [x for x in out if x.startswith("::notice ")]
    assert len(errors) == 10 and len(warnings) == 10 and len(notices) == 10
    assert out.index(errors[-1]) < out.index(warnings[0]) < out.index(notices[0])
    overflow = notices[-1]
    assert "61 more findings were not annotated" in overflow and "SARIF" in overflow
    plain = [x for x in out if x.startswith("cfg.yaml:")]
    assert len(plain) == 90


def test_no_overflow_notice_within_caps(monkeypatch):
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    out = _render(Report([_diag(Severity.ERROR, 1)], ["cfg.yaml"]))
    assert out.count("::error ") == 1 and "not annotated" not in out


def test_step_summary_written(tmp_path, monkeypatch):
    repo = make_repo(tmp_path)
    report = lint_in(repo, ["examples"], monkeypatch)
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    _render(report)
    text = summary.read_text()
    assert text.startswith("earlier step\n## hnet-lint")  # appended, not overwritten
    assert "| Location | Rule | Severity | Message |" in text
    assert "docs/rules/HNL204.md" in text and "Dry-run verdicts" not in text


def test_summary_counts_baselined_and_dry_run(monkeypatch):
    diags = [_diag(Severity.ERROR, 1, phase="probe"),
             _diag(Severity.WARNING, 2, suppressed=True, data={"baseline": True}),
             _diag(Severity.WARNING, 3, suppressed=True, data={"suppression_reason": "ok"})]
    text = render_summary(Report(diags, ["cfg.yaml"]))
    assert "1 suppressed inline, 1 in the baseline" in text
    assert "### Dry-run verdicts" in text and "| probe |" in text


def test_summary_is_truncated_to_the_limit():
    diags = [_diag(Severity.WARNING, i, message="x" * 200) for i in range(1, 400)]
    text = render_summary(Report(diags, ["cfg.yaml"]), limit=20_000)
    assert len(text.encode()) <= 20_000
    assert "not shown: the summary is limited to 1 MiB" in text


def test_clean_summary():
    assert "No findings" in render_summary(Report([], ["a.yaml"]))
