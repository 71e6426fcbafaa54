"""The ``hnet-lint`` command: a thin click shell over :mod:`hnet_lint.api`.

``hnet-lint PATH...`` lints (the default command); ``hnet-lint rules``, ``rule CODE``,
``schema``, ``model-info`` and ``analyze`` are subcommands, each imported only when used so
the lint path stays fast and free of torch, jinja2 and jsonschema.
"""

from __future__ import annotations

import importlib
import os
import sys

import click

from . import __version__
from .api import EXIT_USAGE
from .diagnostics import HnetLintError

__all__ = ["main", "cli"]

#: subcommand -> "module:attribute"
_LAZY = {
    "lint": "hnet_lint.commands.lint:lint",
    "rules": "hnet_lint.commands.rules:rules",
    "rule": "hnet_lint.commands.rules:rule",
    "schema": "hnet_lint.commands.schema:schema",
    "model-info": "hnet_lint.commands.model_info:model_info",
    "analyze": "hnet_lint.commands.analyze:analyze",
    "schedule": "hnet_lint.commands.schedule:schedule",
    "trainers": "hnet_lint.commands.schedule:trainers",
    "watch": "hnet_lint.commands.watch:watch",
}


class _DefaultLintGroup(click.Group):
    """Runs ``lint`` when the first argument is not a subcommand (``hnet-lint cfg.yaml``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_LAZY)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = _LAZY.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("hnet_lint"):
                return None  # a subcommand not built yet in this version
            raise
        return getattr(module, attr)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "[OPTIONS] PATH...")
        formatter.write_usage(ctx.command_path, "COMMAND [ARGS]...", prefix="   or: ")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """``hnet-lint --help`` shows the lint options too: linting is what the bare
        command does, so its options belong on the first help page a newcomer reads."""
        lint = self.get_command(ctx, "lint")
        if lint is not None:
            sub = click.Context(lint, info_name=ctx.info_name, parent=ctx)
            rows = [row for param in lint.get_params(sub)
                    if isinstance(param, click.Option) and param.name != "help"
                    and (row := param.get_help_record(sub))]
            with formatter.section("Lint options (hnet-lint [OPTIONS] PATH...)"):
                formatter.write_dl(rows)
        click.Command.format_options(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in _LAZY and args[0] not in ("--help", "-h", "--version"):
            args = ["lint", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultLintGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hnet-lint")
def cli() -> None:
    """Lint H-Net training configs: `hnet-lint PATH...` (files or directories).

    Exit codes: 0 nothing at or above --fail-on, 1 findings, 2 usage error or an input that
    could not be read or parsed.
    """


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: usage errors exit 2 with one line, never a traceback."""
    # pydantic looks for plugins in every installed distribution's entry points when it
    # builds its first validator (~3 ms here, more in a large CI environment); the linter's
    # own schemas use none. A lint builds pydantic-core validators directly (no plugin
    # scan), but `schema` and the library's users of the classes still build pydantic's.
    # Only the command line opts out; the library leaves it alone.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        cli.main(args=argv, prog_name="hnet-lint", standalone_mode=True)
    except HnetLintError as exc:
        click.echo(f"hnet-lint: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("hnet-lint: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        # `hnet-lint ... | head`: stop quietly, like any Unix filter
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    except (OSError, UnicodeError) as exc:  # e.g. --output into a missing folder
        click.echo(f"hnet-lint: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except Exception as exc:  # a bug in hnet-lint: one line unless asked for the traceback
        if os.environ.get("HNET_LINT_DEBUG"):
            raise
        click.echo(f"hnet-lint: internal error: {type(exc).__name__}: {exc} "
                   "(set HNET_LINT_DEBUG=1 for the traceback, and please report it)", err=True)
        sys.exit(EXIT_USAGE)
