"""``hnet-lint [lint] PATH...``: the main job."""

from __future__ import annotations

import os
import sys

import click

from ..api import EXIT_USAGE, lint_paths
from ..diagnostics import HnetLintError, Severity
from ..load.dialect import DIALECTS
from ..report import FORMATS, RenderContext, get_reporter
from ..check.settings import SettingsFinder

__all__ = ["lint"]


def _split_pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key or not rest:
            raise HnetLintError(f"{what} expects KEY=VALUE, got {value!r}")
        out[key.strip()] = rest.strip()
    return out


def _codes(values: tuple[str, ...]) -> tuple[str, ...] | None:
    items = tuple(c.strip() for v in values for c in v.split(",") if c.strip())
    return items or None


def build_settings(config: str | None, isolated: bool, select, ignore, extend_select,
                   severity, option, fail_on, trainer: str | None = None) -> SettingsFinder:
    """Each file's settings: its nearest settings file (or ``--config``; none with
    ``--isolated``), with the command-line options on top. Unknown codes, prefixes, names
    and options are a usage error, wherever they are written."""
    options: dict[str, dict] = {}
    for key, value in _split_pairs(option, "--option").items():
        code, dot, opt = key.partition(".")
        if not dot or not opt:
            raise HnetLintError(f"--option expects CODE.option=VALUE, got {key!r}")
        options.setdefault(code, {})[opt] = _parse_scalar(value)
    overrides = {
        "select": _codes(select), "ignore": _codes(ignore), "extend_select": _codes(extend_select),
        "severity": {k: Severity.parse(v) for k, v in _split_pairs(severity, "--severity").items()},
        "options": options,
        "fail_on": Severity.parse(fail_on) if fail_on else None,
        "trainer_option": trainer or None,
    }
    finder = SettingsFinder(overrides, config=config, isolated=isolated, known=_catalog)
    finder.for_path(os.curdir)  # a bad settings file or option fails now, before any output
    return finder


def _catalog():
    """Every code (imported only when some settings select or override rules: a warm run
    with default settings imports no rule module)."""
    from ..catalog import catalog

    return catalog()


def _parse_scalar(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(sorted(FORMATS)), default="text",
              show_default=True, help="Output format on stdout.")
@click.option("--output", "-o", "outputs", multiple=True, metavar="FORMAT=PATH",
              help="Also write FORMAT to PATH (repeatable), e.g. sarif=hnet-lint.sarif.")
@click.option("--select", multiple=True, help="Codes, prefixes (HNL2) or names to enable.")
@click.option("--extend-select", multiple=True, help="Add to the selection.")
@click.option("--ignore", multiple=True, help="Codes, prefixes or names to disable.")
@click.option("--severity", multiple=True, metavar="CODE=LEVEL", help="Override a severity.")
@click.option("--option", multiple=True, metavar="CODE.NAME=VALUE",
              help="Override a rule threshold, e.g. HNL204.max_ratio=4 "
                   "(`hnet-lint rule CODE` lists a rule's options).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default=None,
              help="Lowest severity that makes the exit code 1 (default: warning).")
@click.option("--config", "config", type=click.Path(), help="Settings file (TOML).")
@click.option("--isolated", is_flag=True, help="Ignore settings files.")
@click.option("--dialect", type=click.Choice(DIALECTS), help="Force the config dialect.")
@click.option("--trainer", "trainer", default=None, metavar="NAME[@VERSION]",
              help="Trainer that reads the flat files (see `hnet-lint trainers`; 'none' for "
                   "your own): its defaults, ignored keys and step counting are used.")
@click.option("--skip-unrecognized", is_flag=True,
              help="Skip named files that are not H-Net configs (the pre-commit hook uses this).")
@click.option("--statistics", is_flag=True, help="Print counts per rule.")
@click.option("--no-source", is_flag=True, help="Omit code frames in text output.")
@click.option("--explain", is_flag=True,
              help="Text output: say why each rule matters (once per rule).")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True,
              help="Colored text output. auto: on a terminal, unless NO_COLOR is set; "
                   "FORCE_COLOR (non-empty) turns it on.")
@click.option("-v", "--verbose", is_flag=True,
              help="List the files skipped as not H-Net configs (on stderr).")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when findings are reported.")
@click.option("--no-cache", is_flag=True,
              help="Do not read or write the result cache (also HNET_LINT_NO_CACHE=1).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Where cached results live (default: .hnet-lint-cache at the repository "
                   "root; outside a repository, the user's cache folder; also "
                   "HNET_LINT_CACHE_DIR).")
@click.option("--dry-run", is_flag=True,
              help="Build the model and run training probes (needs hnet-lint[dry-run]).")
@click.option("--fix", is_flag=True,
              help="Apply safe fixes (findings marked [*]) in place, then lint again.")
@click.option("--diff", is_flag=True,
              help="Print the fixes as a unified diff without writing them; exit 1 if "
                   "there are any.")
@click.option("--baseline", type=click.Path(), help="Findings listed in this file do not fail.")
@click.option("--write-baseline", is_flag=True,
              help="Write current findings to --baseline FILE (default "
                   ".hnet-lint-baseline.json) and exit 0.")
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto",
              help="Dry-run device (CPU always runs a width-reduced proxy).")
@click.option("--proxy/--full-scale", "proxy", default=None,
              help="Force the proxy or the full model (default: proxy on CPU, full on CUDA if it fits).")
@click.option("--proxy-width", type=int, default=None, help="Stage-0 width of the proxy (default 64).")
@click.option("--steps", type=int, default=None,
              help="Peak-LR probe steps per run (default 100: 40 warmup, 60 at peak).")
@click.option("--probe-seeds", type=click.IntRange(min=1), default=None,
              help="1x/0.5x probe pairs, one per seed (default 3).")
@click.option("--smoke-steps", type=int, default=None, help="Numerics smoke steps (default 10).")
@click.option("--no-probe", is_flag=True, default=False,
              help="Dry-run the build and smoke phases only (wiring and numerics), without the LR-edge probe.")
@click.option("--seed", type=int, default=None, help="Dry-run seed (default: training.seed).")
@click.option("--time-budget", type=float, default=None,
              help="Safety stop in seconds (CPU default 900); a stopped run is inconclusive, never a pass.")
@click.option("--data", "data_path", type=click.Path(), default=None,
              help="Text, JSONL or raw bytes for the dry-run (default: the corpus shipped with hnet-lint).")
@click.option("--from-checkpoint", "checkpoint", type=click.Path(), default=None,
              help="Dry-run from these weights (a state_dict; needs --full-scale).")
@click.option("--report", "report_path", type=click.Path(), default=None,
              help="Write the dry-run report (out.json or out.html; missing folders are created).")
@click.option("--nproc", type=click.IntRange(min=1), default=None,
              help="Dry-run the same phases on N processes with torch.distributed.run "
                   "(NCCL on CUDA, gloo on CPU); findings are reported once.")
@click.option("--engine", type=click.Choice(["ddp", "fsdp2"]), default="ddp", show_default=True,
              help="With --nproc: DistributedDataParallel, or FSDP2 (fully_shard on every block "
                   "with the configured mixed precision).")
def lint(paths, fmt, outputs, select, extend_select, ignore, severity, option, fail_on,
         config, isolated, dialect, statistics, no_source, explain, color, exit_zero, dry_run,
         no_cache=False, cache_dir=None, skip_unrecognized=False, fix=False, diff=False,
         verbose=False, baseline=None, write_baseline=False,
         device="auto", proxy=None, proxy_width=None, steps=None, probe_seeds=None, smoke_steps=None, no_probe=False, seed=None,
         time_budget=None, data_path=None, checkpoint=None, report_path=None, trainer=None,
         nproc=None, engine="ddp", **_: object) -> None:
    """Lint H-Net configs (files or directories)."""
    if not paths:
        raise click.UsageError("give at least one file or directory (e.g. hnet-lint examples/)")
    if trainer:
        from ..load.trainers import resolve

        resolve(trainer)  # a usage error (exit 2) names the known profiles
    settings = build_settings(config, isolated, select, ignore, extend_select, severity,
                              option, fail_on, trainer)
    extra = _split_pairs(outputs, "--output")
    for name in extra:
        if name not in FORMATS:
            raise HnetLintError(f"unknown output format {name!r}; one of {', '.join(FORMATS)}")
    if report_path and dry_run:
        from ..dryrun.verdict import check_report_path  # torch-free

        try:  # before any work: a finished dry-run must not fail at its last write
            check_report_path(report_path)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
    # --fix and --diff need the parsed configs, which a cached result does not keep
    fresh = no_cache or dry_run or fix or diff or os.environ.get("HNET_LINT_NO_CACHE")
    cache = None if fresh else _cache(cache_dir, dialect)
    report = lint_paths(paths, settings, dialect, cache, skip_unrecognized)
    if verbose:
        for file in report.skipped:
            click.echo(f"hnet-lint: skipped {file}: not an H-Net config", err=True)
    if diff:
        from ..check.fix import diff_fixes

        text, edits = diff_fixes(report, dialect)
        sys.stdout.write(text)
        click.echo(f"hnet-lint: {edits} fix{'es' if edits != 1 else ''} would be applied",
                   err=True)
        sys.exit(EXIT_USAGE if report.exit_code() == EXIT_USAGE else int(edits > 0))
    if fix:
        from ..check.fix import apply_fixes

        fixed = apply_fixes(report, dialect)
        click.echo(f"hnet-lint: applied {fixed} fix{'es' if fixed != 1 else ''}", err=True)
        if fixed:  # spans and findings changed; report what is left
            report = lint_paths(paths, settings, dialect, skip_unrecognized=skip_unrecognized)
    if (nproc or engine != "ddp") and not dry_run:
        raise click.UsageError("--nproc and --engine need --dry-run")
    if dry_run:
        try:
            from ..dryrun.cli_bridge import run_dry_run  # imports torch
        except ModuleNotFoundError as exc:
            if exc.name != "torch":
                raise
            raise HnetLintError("--dry-run needs PyTorch: pip install 'hnet-lint[dry-run]'") from None

        run_dry_run(report, settings.for_path(os.curdir), report_path, device=device, proxy=proxy,
                    proxy_width=proxy_width, probe_steps=steps, probe_seeds=probe_seeds,
                    smoke_steps=smoke_steps, no_probe=no_probe, seed=seed,
                    time_budget=time_budget, data=data_path, checkpoint=checkpoint,
                    nproc=nproc, engine=engine)
    if baseline or write_baseline:
        from ..check.baseline import gate

        if gate(report, baseline, write_baseline):
            sys.exit(0)
    ctx = RenderContext(color=_use_color(color), show_source=not no_source,
                        statistics=statistics, explain=explain,
                        sources=_sources(report) if fmt == "text" and not no_source else {},
                        fixable=_fixable(report, dialect) if fmt in ("text", "concise") else set())
    sys.stdout.write(get_reporter(fmt)(report, ctx))
    for name, path in extra.items():
        ctx_file = RenderContext(statistics=statistics, sources=_sources(report))
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(get_reporter(name)(report, ctx_file))
    code = report.exit_code(Severity.parse(fail_on) if fail_on else None)
    sys.exit(0 if exit_zero and code != EXIT_USAGE else code)


def _use_color(choice: str) -> bool:
    """``always``/``never`` win; ``auto`` follows FORCE_COLOR (non-empty: on), then NO_COLOR
    (set: off), then whether stdout is a terminal (the conventions of force-color.org and
    no-color.org)."""
    if choice != "auto":
        return choice == "always"
    if os.environ.get("FORCE_COLOR"):
        return True
    return "NO_COLOR" not in os.environ and sys.stdout.isatty()


def _fixable(report, dialect: str | None = None) -> set:
    if not any(d.code == "HNL002" for d in report.active):
        return set()
    from ..check.fix import fixable

    return fixable(report.active, dialect)


def _cache(folder: str | None, dialect: str | None):
    """The result cache (the dry-run needs fresh, full results). Each entry's key also
    holds the settings of its file, so one cache serves folders with different settings."""
    from ..check.cache import ResultCache, code_fingerprint, default_cache_dir
    from ..load.source import Limits

    limits = Limits()
    salt = f"{code_fingerprint()}|{dialect}|{limits!r}"
    return ResultCache(folder or default_cache_dir(), salt, limits.max_bytes)


def _sources(report) -> dict[str, list[str]]:
    files = {d.span.file for d in report.active}
    out = {}
    for file in files:
        try:
            with open(file, encoding="utf-8-sig") as fh:
                out[file] = fh.read().splitlines()
        except (OSError, UnicodeDecodeError):
            pass
    return out
