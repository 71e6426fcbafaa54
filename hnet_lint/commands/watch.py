"""``hnet-lint watch [OPTIONS] -- COMMAND [ARGS...]``: check the real run, unchanged.

A thin shell over :func:`hnet_lint.watch.watch`. The trainer's own output passes through;
hnet-lint's progress goes to stderr prefixed ``[watch]``, the findings to stdout in any lint
format; the per-rank records stay in ``--record DIR`` (or the temporary folder it prints). Exit codes as for lint: 0 nothing at or above ``--fail-on``,
1 findings, 2 usage error.
"""

from __future__ import annotations

import sys

import click

from ..diagnostics import Severity

__all__ = ["watch"]


@click.command("watch", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("--config", type=click.Path(dir_okay=False),
              help="The run's config (any dialect hnet-lint reads): the LR of every group at every step, "
                   "the accumulation and the clipping threshold are compared with it.")
@click.option("--steps", type=click.IntRange(min=1), default=20, show_default=True,
              help="Stop every rank after this many optimizer steps.")
@click.option("--follow", is_flag=True, help="Watch the whole run (tensor checks sampled, see --every).")
@click.option("--every", type=click.IntRange(min=1), default=None,
              help="Tensor checks on every N-th step [default: 1 with --steps, 50 with --follow].")
@click.option("--stop-on", type=click.Choice(["error", "warning"]), default=None,
              help="--follow: end the run at the first finding of this severity or worse.")
@click.option("--record", type=click.Path(file_okay=False),
              help="Keep the per-rank records here (default: a new temporary folder, printed).")
@click.option("--start-timeout", type=click.FloatRange(min=1), default=1800.0, show_default=True,
              help="Seconds to the first optimizer step before the run counts as stuck.")
@click.option("--step-timeout", type=click.FloatRange(min=1), default=600.0, show_default=True,
              help="Seconds any rank may spend on one optimizer step before it counts as stuck.")
@click.option("--format", "fmt", type=click.Choice(["text", "concise", "json", "sarif", "github"]),
              default="text", show_default=True)
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="warning", show_default=True)
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
def watch(config, steps, follow, every, stop_on, record, start_timeout, step_timeout, fmt, fail_on,
          command) -> None:
    """Run COMMAND (after `--`) with hnet-lint's checks in every Python process it starts."""
    from ..api import Report
    from ..report import RenderContext, get_reporter
    from ..watch import watch as run_watch

    def progress(msg: str) -> None:
        click.echo(f"[watch] {msg}", err=True)

    if stop_on and not follow:
        raise click.UsageError("--stop-on needs --follow (with --steps the run stops after K steps anyway)")
    stop_level = Severity.parse(stop_on) if stop_on else None

    def stream(found) -> None:
        for f in found:
            click.echo(f"[watch] {f.code} [{f.severity.label}] {f.message}", err=True)
        if stop_level is not None and any(f.severity >= stop_level for f in found):
            raise KeyboardInterrupt  # the session stops the group and judges what was written

    result = run_watch(list(command), steps=0 if follow else steps, config=config, record=record,
                       every=every or (50 if follow else 1), start_timeout=start_timeout,
                       step_timeout=step_timeout, on_progress=None if follow else progress,
                       on_findings=stream if follow else None)
    click.echo(f"[watch] records: {result.folder}", err=True)
    report = Report(diagnostics=sorted(result.findings, key=lambda d: (d.severity * -1, d.code)),
                    files=[config] if config else [])
    ctx = RenderContext(show_source=False)
    sys.stdout.write(get_reporter(fmt)(report, ctx))
    sys.exit(report.exit_code(Severity.parse(fail_on)))
