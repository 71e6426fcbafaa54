"""The analytic library stays pure Python: no torch, numpy or jinja2 at import time."""

from __future__ import annotations

import doctest
import subprocess
import sys
from pathlib import Path

import hnet_lint.modelinfo

REPO_ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "numpy", "jinja2")


def test_import_pulls_in_no_heavy_modules() -> None:
    # A fresh interpreter: this test process may already hold torch from other test packages.
    code = (
        "import sys, hnet_lint.modelinfo, hnet_lint.commands.model_info\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_package_docstring_example_runs() -> None:
    failures, _ = doctest.testmod(hnet_lint.modelinfo, verbose=False)
    assert failures == 0
