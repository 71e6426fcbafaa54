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
