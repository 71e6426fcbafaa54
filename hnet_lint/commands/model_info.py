"""`hnet-lint model-info CONFIG`: parameters, structure, init, FLOPs and memory of a model config.

A thin shell over `hnet_lint.modelinfo`: load the file, build the info, print it. Every input
problem (missing file, bad JSON, unusable config, bad ratios) is one line on stderr and exit
code 2, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from hnet_lint.modelinfo import DTYPE_BYTES, build_model_info, format_model_info, parse_model_config

__all__ = ["model_info"]

EXIT_USAGE = 2  # usage or config error, as in the rest of hnet-lint
_DTYPES = sorted(DTYPE_BYTES)


class _InputError(Exception):
    """An input problem already phrased for the user."""


def _load_run(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model dict and the run's own settings, through the linter's loader.

    Any dialect works: an official model JSON, a native run config (inline or referenced
    model) or a flat trainer JSON. The run's routing ratios, sequence length, batch size and
    dtypes become the defaults of the options.
    """
    from ..api import lint_paths

    if path.is_dir():
        raise _InputError(f"{path}: is a directory, not a config file")
    if not path.is_file():
        raise _InputError(f"{path}: cannot read file: no such file")
    report = lint_paths([str(path)])
    run = next(iter(report.runs.values()), None)
    if run is None or run.model is None:
        errors = [d for d in report.active if d.severity.label == "error"]
        first = errors[0] if errors else None
        where = f"{first.span.file}:{first.span.line}:{first.span.column}: " if first else ""
        what = first.message if first else "no model config found"
        raise _InputError(f"{where}{what}")
    settings: dict[str, Any] = {}
    if run.routing and run.routing.target_ratio:
        settings["target_ratios"] = list(run.routing.target_ratio)
    if run.training:
        t = run.training
        settings.update({k: v for k, v in (("seq_len", t.seq_len), ("batch_size", t.batch_size))
                         if v is not None})
        if run.dialect != "model":
            settings["param_dtype"] = _canonical(t.param_dtype)
            settings["autocast_dtype"] = _canonical(t.autocast_dtype) if t.autocast_dtype else "none"
    return run.model.model_dump(), settings


def _canonical(dtype: str) -> str:
    return {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}.get(dtype, dtype)


@click.command("model-info")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Sequences per step, for the memory estimate [default: the run's, else 8].")
@click.option("--seq-len", type=click.IntRange(min=1), default=None,
              help="Bytes per sequence [default: the run's, else 8192].")
@click.option("--param-dtype", type=click.Choice(_DTYPES), default=None,
              help="dtype the weights (and so grads and AdamW state) are stored in "
                   "[default: the run's, else float32].")
@click.option("--autocast-dtype", type=click.Choice([*_DTYPES, "none"]), default=None,
              help="Autocast dtype for activations; 'none' = param dtype "
                   "[default: the run's, else bfloat16].")
@click.option("--target-ratio", "target_ratios", type=float, multiple=True,
              help="Target downsampling ratio N per stage, outermost first (repeat). "
                   "Default: 6 for a 1-stage model, else 3 per stage.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def model_info(
    config: Path,
    batch_size: int | None,
    seq_len: int | None,
    param_dtype: str | None,
    autocast_dtype: str | None,
    target_ratios: Sequence[float],
    output_format: str,
) -> None:
    """Print parameter counts, heights, init stds, FLOPs/byte and memory for CONFIG.

    CONFIG may be a model JSON, a native run config or a flat trainer JSON; the run's own
    settings are used where an option is not given.
    """
    try:
        model, run = _load_run(config)
        parse_model_config(model)  # checked first so config errors are named as such
    except _InputError as exc:
        _fail(str(exc))
    except ValueError as exc:
        _fail(f"{config}: invalid model config: {exc}")
    try:
        info = build_model_info(
            model,
            target_ratios=list(target_ratios) or run.get("target_ratios"),
            seq_len=seq_len or run.get("seq_len", 8192),
            batch_size=batch_size or run.get("batch_size", 8),
            param_dtype=param_dtype or run.get("param_dtype", "float32"),
            autocast_dtype=_autocast(autocast_dtype or run.get("autocast_dtype", "bfloat16")),
        )
    except ValueError as exc:  # only the options are left to be wrong, e.g. --target-ratio
        _fail(f"{config}: {exc}")
    if output_format == "json":
        click.echo(json.dumps(info.to_dict(), indent=2))
    else:
        click.echo(format_model_info(info))


def _autocast(value: str) -> str | None:
    return None if value == "none" else value


def _fail(message: str) -> NoReturn:
    """One line on stderr, exit code 2."""
    click.echo(f"hnet-lint model-info: {' '.join(message.split())}", err=True)
    raise click.exceptions.Exit(EXIT_USAGE)
