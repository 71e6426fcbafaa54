"""The static pipeline's two wings import in one direction only (see ``hnet_lint/load`` and
``hnet_lint/check``): reading never imports linting, and neither imports the dry-run, the
log analyzer, the reporters or the CLI commands. Checked on the source, including imports
inside functions, so a lazy import cannot hide a wrong dependency."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hnet_lint"
OUTSIDE_STATIC = ("hnet_lint.dryrun", "hnet_lint.analyze", "hnet_lint.report", "hnet_lint.commands")
FORBIDDEN = {
    "load": ("hnet_lint.check",) + OUTSIDE_STATIC,
    "check": OUTSIDE_STATIC,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[str]:
    """Absolute names of every module ``path`` imports (``from . import x`` gives ``pkg.x``)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append(target)
            found += [f"{target}.{alias.name}" for alias in node.names]
    return found


def _is_under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize("wing", sorted(FORBIDDEN))
def test_wing_imports_only_downstream(wing: str) -> None:
    wrong = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in sorted((PACKAGE / wing).rglob("*.py"))
        for name in imported_modules(path)
        if any(_is_under(name, prefix) for prefix in FORBIDDEN[wing])
    ]
    assert not wrong, "\n".join(wrong)


def test_import_resolver_sees_relative_and_lazy_imports() -> None:
    """The check above is only as good as its resolver: it must see a function-level
    relative import that climbs out of the wing."""
    names = imported_modules(PACKAGE / "check" / "rules" / "decay.py")
    assert "hnet_lint.modelinfo.param_shapes" in names
    assert "hnet_lint.check.engine" in names


def test_root_keeps_only_entry_points_and_shared_modules() -> None:
    root_modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert root_modules == {
        "__init__", "__main__", "cli", "api", "diagnostics", "catalog", "repo", "schedules",
    }


def _lint_text(tmp_path, text):
    from hnet_lint.api import lint_paths

    path = tmp_path / "run.yaml"
    path.write_text(text)
    return [d for d in lint_paths([str(path)]).diagnostics if d.code == "HNL103"]


MAMBA_ONLY = """\
model:
  arch_layout: ["m2", ["m4"], "m2"]
  d_model: [256, 320]
  d_intermediate: [0, 0]
  vocab_size: 256
{attn}schedule: {{name: wsd, total_steps: 1000}}
"""


def test_missing_attn_cfg_is_one_finding_that_says_what_to_write(tmp_path):
    found = _lint_text(tmp_path, MAMBA_ONLY.format(attn=""))
    assert len(found) == 1
    msg = found[0].message
    assert msg.startswith("attn_cfg is missing: the official Isotropic reads")
    assert "IndexError" in msg and "never uses the values" in msg
    assert "num_heads: [4, 5], rotary_emb_dim: [32, 32], window_size: [-1, -1]" in msg


def test_empty_attn_cfg_is_one_finding_at_it(tmp_path):
    found = _lint_text(tmp_path, MAMBA_ONLY.format(attn="  attn_cfg: {}\n"))
    assert len(found) == 1 and found[0].message.startswith("attn_cfg has no entries")
    assert found[0].span.line == 6


def test_the_suggested_attn_cfg_passes_and_a_short_list_is_still_per_list(tmp_path):
    ok = "  attn_cfg: {num_heads: [4, 5], rotary_emb_dim: [32, 32], window_size: [-1, -1]}\n"
    assert _lint_text(tmp_path, MAMBA_ONLY.format(attn=ok)) == []
    short = "  attn_cfg: {num_heads: [4], rotary_emb_dim: [32, 32], window_size: [-1, -1]}\n"
    found = _lint_text(tmp_path, MAMBA_ONLY.format(attn=short))
    assert [d.message.split(";")[0] for d in found] == ["num_heads has 1 entry"]
