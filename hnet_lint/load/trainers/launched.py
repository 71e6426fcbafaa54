"""What hierarchical-hnet's ``scripts/train.py`` receives for each key of ``hyperparams.json``.

The file is never handed to the trainer as JSON. ``training_configs/load_hyperparams.sh``
reads each key with ``python -c "...; print(value)"`` into a shell variable, the launcher
puts the variable on ``scripts/train.py``'s command line, and argparse converts the text
with the flag's ``type``. So a value's JSON type does not matter, its printed text does:

* ``"learning_rate": "3e-4"`` prints ``3e-4`` and ``float("3e-4")`` accepts it (a quoted
  number is fine); ``"batch_size": 8.0`` prints ``8.0`` and ``int("8.0")`` fails, as do
  ``true`` (``True``) and ``null`` (``None``) for a number: the launch stops with argparse's
  "invalid int value".
* From ``8dbea2d`` on, the launcher builds one command string without quotes and runs it
  with ``eval`` (``training_configs/1stage_L/train_cluster.sh``): an empty value or one with
  whitespace shifts the arguments, and shell syntax in a value (``;``, ``$(...)``, ...) is
  executed by the shell. ``warmup_ratio``, ``stable_ratio``, ``decay_ratio``, ``decay_type``,
  ``ema_decay`` and ``dropout`` are passed only when their text is not ``None``;
  ``scale_lr_by_world_size`` becomes the bare flag when its text, lower-cased, is ``true``.

The argparse types are those of ``scripts/train.py`` (``scripts/train_fixed.py`` at
d792a0e), identical for these flags in every version with a ``hyperparams.json``
(d792a0e .. 884a517). ``lr_multipliers`` and ``downsampling_factors`` are strings to
argparse and are split by ``train.py`` itself (HNL208, HNL507 judge them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .profile import TrainerProfile

__all__ = ["ARGPARSE_TYPES", "LaunchView", "launch_view", "view_of"]

#: key -> the argparse ``type`` of the flag the launcher passes it as
ARGPARSE_TYPES: dict[str, type] = {
    "learning_rate": float, "weight_decay": float, "max_grad_norm": float,
    "load_balancing_weight": float, "warmup_ratio": float, "stable_ratio": float,
    "decay_ratio": float, "min_lr": float, "adam_beta1": float, "adam_beta2": float,
    "adam_eps": float, "label_smoothing": float, "ema_decay": float, "dropout": float,
    "batch_size": int, "gradient_accumulation_steps": int, "max_seq_length": int,
    "num_training_steps": int, "warmup_steps": int, "save_interval": int,
    "eval_interval": int, "log_interval": int,
    "model_config": str, "output_dir": str, "dtype": str, "backend": str,
    "lr_scheduler": str, "decay_type": str,
}

#: passed only when the printed text is not ``None`` (the WSD-era launcher's ``if`` blocks)
_ONLY_IF_NOT_NONE = frozenset({"warmup_ratio", "stable_ratio", "decay_ratio", "decay_type",
                               "ema_decay", "dropout"})
#: what an unquoted ``eval`` always changes: word splitting, command separators,
#: redirections, substitutions, escapes and quotes (globs, ``#`` inside a word and ``~`` after
#: its start usually pass through unchanged, so they are not reported)
_SHELL_SYNTAX = re.compile(r"[\s;&|<>()$`\\\"']")
#: the profile versions whose launcher evals one unquoted command string
_EVAL_LAUNCHER = ("8dbea2d", "d28b7c4")


@dataclass
class LaunchView:
    """The file as ``scripts/train.py`` gets it."""

    values: dict[str, Any] = field(default_factory=dict)
    """key -> the value argparse produced (a passed key) or the file's value (the others)."""
    rejected: dict[str, str] = field(default_factory=dict)
    """key -> why the launch fails or misbehaves on it (argparse error, shell)."""
    unpassed: set[str] = field(default_factory=set)
    """Keys written as ``null`` whose flag the launcher leaves out (the default applies)."""


def printed(value: Any) -> str:
    """The text ``print(value)`` writes for a JSON value, as the loader prints it."""
    return str(value)


def launch_view(profile: TrainerProfile, data: dict) -> LaunchView:
    """How ``profile``'s launcher hands each key of ``data`` to ``scripts/train.py``."""
    view = LaunchView(values=dict(data))
    evals = profile.version in _EVAL_LAUNCHER
    for key, value in data.items():
        kind = ARGPARSE_TYPES.get(key)
        if kind is None or not _passed(profile, key):
            continue
        if value is None and profile.fact(key).effect == "required":
            continue  # missing or null required key: HNL008 says so
        text = printed(value)
        if evals and key in _ONLY_IF_NOT_NONE and text == "None":
            view.unpassed.add(key)
            view.values.pop(key)
            continue
        flag = "--" + ("config-path" if key == "model_config" else key.replace("_", "-"))
        if evals and (text == "" or _SHELL_SYNTAX.search(text)):
            view.rejected[key] = (
                f"the launcher evals its command unquoted, so {text!r} "
                + ("leaves " + flag + " without a value" if text == ""
                   else "is split or run by the shell") + "; write a plain value")
            view.values.pop(key)
            continue
        if kind is str:
            view.values[key] = text
            continue
        try:
            view.values[key] = kind(text)
        except ValueError:
            view.rejected[key] = (f"reaches scripts/train.py as the text {text!r}: argparse stops "
                                  f"the launch (argument {flag}: invalid {kind.__name__} value: "
                                  f"{text!r}){_instead(kind, value)}")
            view.values.pop(key)
    return view


def view_of(run: Any) -> LaunchView:
    """:func:`launch_view` of a normalized hierarchical-hnet run (its profile, its file),
    computed once per run: the normalizer, the effective schedule and the trainer rules all
    read it."""
    view = run.__dict__.get("_launch_view")
    if view is None:
        data = run.doc.data if isinstance(run.doc.data, dict) else {}
        view = run.__dict__["_launch_view"] = launch_view(run.trainer, data)
    return view


def _instead(kind: type, value: Any) -> str:
    """What to write instead, where it is clear: ``8`` for ``8.0`` where an int is parsed."""
    if kind is int and isinstance(value, float) and value.is_integer():
        return f"; write {int(value)}"
    return ""


def _passed(profile: TrainerProfile, key: str) -> bool:
    """Whether this version's loader reads ``key`` (and so its launcher passes it on)."""
    fact = profile.fact(key)
    return fact is not None and fact.read
