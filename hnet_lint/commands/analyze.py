"""``hnet-lint analyze LOG... [--config CONFIG] [--out DIR]``: what went wrong in a run.

A thin shell over :func:`hnet_lint.analyze.run.analyze_logs`: read the logs, print the
findings, and with ``--out`` write findings.json, plots (with the ``plot`` extra) and the
HTML/Markdown report.
"""

from __future__ import annotations

import sys

import click

from ..diagnostics import HnetLintError, Severity
from ..report import FORMATS

__all__ = ["analyze"]


@click.command("analyze")
@click.argument("logs", nargs=-1, required=True, type=click.Path())
@click.option("--config", "config", type=click.Path(),
              help="The run's config: enables LR, clip, length and routing checks and adds "
                   "its static findings to the report.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Write report.html, report.md, findings.json and PNG plots here.")
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text",
              show_default=True, help="Findings on stdout (the formats of `hnet-lint CONFIG --format`).")
@click.option("--no-source", is_flag=True, help="Text output: no code frames under the findings.")
@click.option("--map", "maps", multiple=True, metavar="FIELD=NAME",
              help="Read log field NAME as canonical FIELD (e.g. grad_norm=gn_total).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="warning",
              show_default=True, help="Lowest severity that makes the exit code 1.")
@click.option("--no-plots", is_flag=True, help="Skip the PNGs even if matplotlib is installed.")
def analyze(logs, config, out_dir, fmt, no_source, maps, fail_on, no_plots) -> None:
    """Analyze training logs (JSON lines, CSV, text, TensorBoard) for what went wrong."""
    from ..analyze.fields import parse_mapping
    from ..analyze.run import analyze_logs
    from ..report import RenderContext, get_reporter

    try:
        mapping = parse_mapping(maps)
    except ValueError as exc:
        raise HnetLintError(str(exc)) from None
    result = analyze_logs(logs, config=config, mapping=mapping)
    report = result.report
    if out_dir:
        from ..analyze.output import write_outputs

        written = write_outputs(result, out_dir, plots=not no_plots)
        click.echo(f"wrote {', '.join(written)}", err=True)
    show = fmt == "text" and not no_source
    ctx = RenderContext(show_source=show, sources=_sources(report) if show else {})
    sys.stdout.write(get_reporter(fmt)(report, ctx))
    sys.exit(report.exit_code(Severity.parse(fail_on)))


def _sources(report) -> dict[str, list[str]]:
    """File -> lines for code frames under each finding (logs and config alike)."""
    out = {}
    for file in {d.span.file for d in report.active}:
        try:
            with open(file, encoding="utf-8", errors="replace") as fh:
                out[file] = fh.read().splitlines()
        except OSError:
            pass
    return out
