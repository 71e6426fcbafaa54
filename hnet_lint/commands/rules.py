"""``hnet-lint rules`` and ``hnet-lint rule CODE``: the rule catalogue and explanations."""

from __future__ import annotations

import json

import click

from ..diagnostics import HnetLintError
from ..catalog import catalog
from ..load.suggest import suggest

__all__ = ["rules", "rule", "explain"]




def explain(code_or_name: str) -> str:
    """The full documentation of one rule, as printed by ``hnet-lint rule``."""
    table = catalog()
    meta = table.get(code_or_name.upper()) or next(
        (r for r in table.values() if r.name == code_or_name), None)
    if meta is None:
        hint = suggest(code_or_name, [*table, *(r.name for r in table.values())])
        raise HnetLintError(f"no rule {code_or_name!r}{hint}")
    lines = [f"{meta.code} {meta.name} ({meta.severity.label}, {meta.area})", "", meta.doc]
    if meta.options:
        lines += ["", "Options (override with --option CODE.NAME=VALUE or [tool.hnet-lint.options]):"]
        lines += [f"  {k} = {v!r}" for k, v in meta.options.items()]
    return "\n".join(lines) + "\n"


@click.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules(fmt: str) -> None:
    """List every rule with its code, name, default severity and summary."""
    table = catalog()
    if fmt == "json":
        click.echo(json.dumps([
            {"code": r.code, "name": r.name, "severity": r.severity.label, "area": r.area,
             "summary": r.summary, "options": dict(r.options)} for r in table.values()
        ], indent=2))
        return
    for r in table.values():
        click.echo(f"{r.code}  {r.name:<34} {r.severity.label:<8} {r.summary}")


@click.command("rule")
@click.argument("code")
def rule(code: str) -> None:
    """Explain one rule (by code or name)."""
    click.echo(explain(code), nl=False)
