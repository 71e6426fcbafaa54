"""The static path stays light: no torch, jinja2 or jsonschema on import or on a lint run."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT

HEAVY = ("torch", "jinja2", "jsonschema", "matplotlib", "numpy")


def _imported_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    return set(out.split())


def test_importing_the_cli_pulls_in_nothing_heavy():
    loaded = _imported_after("import hnet_lint.cli")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_a_text_lint_run_pulls_in_nothing_heavy():
    loaded = _imported_after(
        "from hnet_lint.api import lint_paths\n"
        "from hnet_lint.report import get_reporter, RenderContext\n"
        "r = lint_paths(['examples/'])\n"
        "get_reporter('text')(r, RenderContext())\n"
        "get_reporter('json')(r, RenderContext())")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}
