"""A flat file's values as the selected trainer sees them, in canonical paths.

Each function returns ``(canonical, defaults, notes)``: ``canonical`` maps a canonical path
(``("schedule", "warmup_ratio")``) to the value the trainer really uses, ``defaults`` marks
those the file did not write (with the value), and ``written_at`` maps a canonical path to
the file key whose text set it (or qualifies it). No trainer's default is used for another.
"""

from __future__ import annotations

from typing import Any

from .profile import IGNORED, TrainerProfile

__all__ = ["hierarchical_values", "if001_values", "split_numbers"]

Path = tuple


def split_numbers(value: Any) -> list[float] | None:
    """A list of numbers, or a comma-separated string of them (as the launchers pass them);
    ``None`` when it is neither."""
    if isinstance(value, list) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return [float(v) for v in value]
    if isinstance(value, str):
        try:
            return [float(part) for part in value.split(",")]
        except ValueError:
            return None
    return None


class _Values:
    """The three maps a trainer's reading fills, one value at a time."""

    def __init__(self) -> None:
        self.canonical: dict[Path, Any] = {}
        self.defaults: dict[Path, Any] = {}
        self.written_at: dict[Path, str] = {}

    def put(self, path: Path, key: str | None, value: Any, written: bool) -> None:
        """``value`` at ``path``, set by the file's ``key`` (``None``: no key qualifies it);
        a value the file did not write is also a default."""
        self.canonical[path] = value
        if key is not None:
            self.written_at[path] = key
        if not written:
            self.defaults[path] = value

    def result(self) -> tuple[dict[Path, Any], dict[Path, Any], dict[Path, str]]:
        return self.canonical, self.defaults, self.written_at


def hierarchical_values(profile: TrainerProfile, data: dict) -> tuple[
        dict[Path, Any], dict[Path, Any], dict[Path, str]]:
    """Canonical values of a hierarchical-hnet ``hyperparams.json`` under ``profile``."""
    values = _Values()

    def read(key: str) -> tuple[Any, bool]:
        """(value the trainer uses, whether the file wrote it)."""
        fact = profile.fact(key)
        if fact is None or fact.effect == IGNORED:
            return None, False
        if key in data and data[key] is not None:
            return data[key], True
        return fact.default, False

    def put(path: Path, key: str, value: Any, written: bool) -> None:
        if value is not None:
            values.put(path, key, value, written)

    simple = {
        "learning_rate": ("optimizer", "lr"),
        "adam_eps": ("optimizer", "eps"),
        "num_training_steps": ("schedule", "total_steps"),
        "max_grad_norm": ("training", "grad_clip"),
        "batch_size": ("training", "batch_size"),
        "gradient_accumulation_steps": ("training", "grad_accum_steps"),
        "max_seq_length": ("training", "seq_len"),
        "dtype": ("training", "param_dtype"),
        "load_balancing_weight": ("routing", "ratio_loss_weight"),
    }
    for key, path in simple.items():
        value, written = read(key)
        put(path, key, value, written)
    lbw = profile.fact("load_balancing_weight")
    if lbw is None or lbw.effect == IGNORED:  # not read: train.py's argparse default
        put(("routing", "ratio_loss_weight"), "load_balancing_weight", 0.01, False)
    mult, written = read("lr_multipliers")
    if written:
        put(("optimizer", "lr_multiplier"), "lr_multipliers", split_numbers(mult), True)
    b1, w1 = read("adam_beta1")
    b2, w2 = read("adam_beta2")
    if b1 is None:  # the first loader: betas fixed in setup_optimizer
        b1, b2, w1, w2 = 0.9, 0.95, False, False
    put(("optimizer", "betas"), "adam_beta2", [b1, b2], w1 or w2)
    # The file's weight_decay never reaches AdamW: its default is what every group gets.
    put(("optimizer", "weight_decay"), "weight_decay", profile.fixed_weight_decay, False)
    values.put(("optimizer", "grouping"), "weight_decay", "official", False)

    wsd_loader = profile.reads("lr_scheduler")
    name, written = read("lr_scheduler") if wsd_loader else ("cosine", False)
    put(("schedule", "name"), "lr_scheduler", name, written)
    total = data.get("num_training_steps")
    if name == "wsd":
        for key in ("warmup_ratio", "stable_ratio", "decay_ratio"):
            value, written = read(key)
            if written and not value:  # `ratio or default` in get_lr_scheduler
                value, written = profile.default(key), False
            put(("schedule", key), key, value, written)
        value, written = read("decay_type")
        put(("schedule", "decay_type"), "decay_type", value, written)
    elif wsd_loader:
        if isinstance(total, int) and not isinstance(total, bool):
            put(("schedule", "warmup_steps"), "num_training_steps", int(total * 0.1), False)
    else:
        value, written = read("warmup_steps")
        put(("schedule", "warmup_steps"), "warmup_steps", value, written)
    if wsd_loader:
        value, written = read("min_lr")
        put(("schedule", "min_lr"), "min_lr", value, written)

    if profile.target_ratio_policy == "required":
        value, written = read("downsampling_factors")
        if written:
            put(("routing", "target_ratio"), "downsampling_factors", split_numbers(value), True)
    return values.result()


def if001_values(profile: TrainerProfile, data: dict) -> tuple[
        dict[Path, Any], dict[Path, Any], dict[Path, str]]:
    """Canonical values of an if001/hnet ``training_config.json``."""
    from .if001 import KEY_MAP

    values = _Values()
    for key, path in KEY_MAP.items():
        written = data.get(key) is not None
        value = data[key] if written else profile.default(key)
        if value is not None:
            values.put(path, key, value, written)
    # fixed in the trainer's code, not read from the file
    values.put(("optimizer", "betas"), "learning_rate", [0.9, 0.95], False)
    values.put(("optimizer", "eps"), "learning_rate", 1e-8, False)
    values.put(("optimizer", "grouping"), "weight_decay", "official", False)
    values.put(("training", "autocast_dtype"), None, "bfloat16", False)
    if values.canonical.get(("schedule", "total_steps")) is not None:
        values.put(("schedule", "name"), None, "wsd", True)
        for key, value in (("warmup_ratio", 0.1), ("stable_ratio", 0.7), ("decay_ratio", 0.2),
                           ("decay_type", "inverse_sqrt")):
            values.put(("schedule", key), "max_steps", value, False)
    else:
        values.put(("schedule", "name"), None, "constant", False)
        values.put(("schedule", "warmup_steps"), "warmup_steps",
                   data.get("warmup_steps", profile.default("warmup_steps")), "warmup_steps" in data)
    return values.result()
