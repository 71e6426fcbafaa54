"""What a newcomer meets first: the help, colors, the concise format, the README's claims."""

from __future__ import annotations

import re
import subprocess
import sys

from .gate_helpers import ROOT, make_repo, subprocess_env


def _cli(repo, *args, **env):
    return subprocess.run([sys.executable, "-m", "hnet_lint", *args], cwd=repo,
                          env=subprocess_env(**env), capture_output=True, text=True)


def test_top_level_help_shows_the_lint_options(tmp_path):
    out = _cli(tmp_path, "--help").stdout
    for option in ("--select", "--ignore", "--fail-on", "--fix", "--diff", "--format",
                   "--dry-run", "--skip-unrecognized", "--color", "--verbose"):
        assert option in out, option
    assert "Commands:" in out and "rules" in out


def test_option_help_example_names_the_rule_that_has_it(tmp_path):
    from hnet_lint.catalog import catalog

    out = _cli(tmp_path, "--help").stdout
    example = re.search(r"e\.g\.\s+(HNL\d+)\.(\w+)=", out)
    assert example, out
    code, option = example.groups()
    assert option in catalog()[code].options


def test_color_help_and_force_color(tmp_path):
    repo = make_repo(tmp_path)
    help_text = _cli(repo, "lint", "--help").stdout
    assert re.search(r"--color \[auto\|always\|never\]\s+\S", help_text)
    target = "examples/incident/original.yaml"
    forced = _cli(repo, target, FORCE_COLOR="1")
    plain = _cli(repo, target)
    assert "\x1b[" in forced.stdout and "\x1b[" not in plain.stdout
    assert "\x1b[" not in _cli(repo, target, "--color", "never", FORCE_COLOR="1").stdout


def test_concise_has_a_summary_line(tmp_path):
    repo = make_repo(tmp_path)
    out = _cli(repo, "--format", "concise", "examples/incident/original.yaml").stdout
    assert out.splitlines()[-1].startswith("Found 6 findings")
    clean = _cli(repo, "--format", "concise", "--fail-on", "error", "--select", "HNL1",
                 "examples/recommended.yaml").stdout
    assert clean == "All checks passed: 1 file.\n"


def _repo_texts():
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True,
                            text=True).stdout.split()
    for name in listed:
        if name.endswith((".py", ".md", ".yml", ".yaml", ".toml")) and name != "tests/test_newcomer.py":
            path = ROOT / name
            if path.is_file():
                yield name, path.read_text(encoding="utf-8", errors="replace")


def test_cited_evidence_is_in_the_repository():
    """Docs and rule texts cite docs/evidence.md, not notes that ship with no release."""
    assert (ROOT / "docs" / "evidence.md").is_file()
    for name, text in _repo_texts():
        assert "dryrun-signals" not in text and "hnet-facts §" not in text, name
    out = subprocess.run([sys.executable, "-m", "hnet_lint", "rule", "HNL401"], cwd=ROOT,
                         env=subprocess_env(), capture_output=True, text=True).stdout
    assert "docs/evidence.md §2" in out
    sections = set(re.findall(r"^## (§\d+)\.", (ROOT / "docs" / "evidence.md").read_text(), re.M))
    for name, text in _repo_texts():
        for cited in re.findall(r"docs/evidence\.md`?\)? (§\d+)", text):
            assert cited in sections, (name, cited)


def test_readme_documents_what_newcomers_asked_about():
    """The quick start says why it exits 1; the pages the README links answer the rest."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "hnet-lint examples/" in quick and "exits with code 1" in quick
    assert "](docs/outputs.md)" in readme and "](docs/configuration.md)" in readme
    outputs = (ROOT / "docs" / "outputs.md").read_text(encoding="utf-8")
    configuration = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert "`github-summary`" in outputs and "| 2 |" in outputs
    assert ".hnet-lint.toml` holds the same keys" in configuration


def test_quick_start_exit_code_is_what_the_readme_says(tmp_path):
    repo = make_repo(tmp_path)
    assert _cli(repo, "examples/").returncode == 1
    assert _cli(repo, "examples/recommended.yaml").returncode == 0
