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


def _load_model_dict(path: Path) -> dict[str, Any]:
    """Read an official-format model JSON file.

    Kept in one place on purpose: the linter's loader will later replace it so that native run
    configs (YAML or JSON, with routing ratios) are accepted too.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise _InputError(f"{path}: cannot read file: {reason}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _InputError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise _InputError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


@click.command("model-info")
@click.argument("config", type=click.Path(path_type=Path))
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True,
              help="Sequences per step, for the memory estimate.")
@click.option("--seq-len", type=click.IntRange(min=1), default=8192, show_default=True,
              help="Bytes per sequence.")
@click.option("--param-dtype", type=click.Choice(_DTYPES), default="float32", show_default=True,
              help="dtype the weights (and so grads and AdamW state) are stored in.")
@click.option("--autocast-dtype", type=click.Choice([*_DTYPES, "none"]), default="bfloat16",
              show_default=True, help="Autocast dtype for activations; 'none' = param dtype.")
@click.option("--target-ratio", "target_ratios", type=float, multiple=True,
              help="Target downsampling ratio N per stage, outermost first (repeat). "
                   "Default: 6 for a 1-stage model, else 3 per stage.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def model_info(
    config: Path,
    batch_size: int,
    seq_len: int,
    param_dtype: str,
    autocast_dtype: str,
    target_ratios: Sequence[float],
    output_format: str,
) -> None:
    """Print parameter counts, heights, init stds, FLOPs/byte and memory for CONFIG."""
    try:
        model = _load_model_dict(config)
        parse_model_config(model)  # checked first so config errors are named as such
    except _InputError as exc:
        _fail(str(exc))
    except ValueError as exc:
        _fail(f"{config}: invalid model config: {exc}")
    try:
        info = build_model_info(
            model,
            target_ratios=list(target_ratios) or None,
            seq_len=seq_len,
            batch_size=batch_size,
            param_dtype=param_dtype,
            autocast_dtype=None if autocast_dtype == "none" else autocast_dtype,
        )
    except ValueError as exc:  # only the options are left to be wrong, e.g. --target-ratio
        _fail(f"{config}: {exc}")
    if output_format == "json":
        click.echo(json.dumps(info.to_dict(), indent=2))
    else:
        click.echo(format_model_info(info))


def _fail(message: str) -> NoReturn:
    """One line on stderr, exit code 2."""
    click.echo(f"hnet-lint model-info: {' '.join(message.split())}", err=True)
    raise click.exceptions.Exit(EXIT_USAGE)
