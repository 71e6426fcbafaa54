"""The facts one trainer version holds about a flat hyperparameter file, as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = ["KeyFact", "TrainerProfile", "REQUIRED", "USED", "IGNORED", "RECORD"]

#: A key the trainer cannot start without.
REQUIRED = "required"
#: A key the trainer reads and uses.
USED = "used"
#: A key the trainer reads (or accepts) and never uses: changing it changes nothing.
IGNORED = "ignored"
#: A key that steers the job (paths, intervals, backend), not the optimization.
RECORD = "operational"


@dataclass(frozen=True)
class KeyFact:
    """How one trainer version treats one key of its file."""

    effect: str
    """``required``, ``used``, ``ignored`` or ``operational``."""
    default: Any = None
    """The value used when the key is absent, on the code path actually run (``None``: none)."""
    why: str = ""
    """For ``ignored`` keys: what happens to the value instead (quoted in findings)."""
    choices: tuple[str, ...] = ()
    """Values the trainer accepts (argparse ``choices``); empty: any of the right type."""
    read: bool = True
    """Whether the loader reads the key at all (an ``ignored`` key may be read, parsed and
    then unused, or never read: only a read key can fail the launch)."""


@dataclass(frozen=True)
class TrainerProfile:
    """One behaviour-changing version of one trainer.

    Step units: ``num_training_steps``-like totals are counted by the trainer's loop in
    ``loop_unit`` (``micro-batch`` or ``optimizer``); the LR scheduler is built with that
    total and advanced once per optimizer step (or every ``scheduler_stride`` micro-batches).
    """

    name: str
    version: str
    summary: str
    source: str
    """Repository, files and commits this profile was read from."""
    keys: Mapping[str, KeyFact]
    detect_keys: frozenset[str] = frozenset()
    """Keys only this trainer's file has: any of them selects the trainer."""
    loop_unit: str = "optimizer"
    scheduler_stride: int | None = None
    """Micro-batches per scheduler step when the scheduler ignores accumulation."""
    zero_grad_every: int | None = None
    """Micro-batches between ``zero_grad`` calls when not every optimizer step."""
    world_size_scaling: str = "never"
    """``always`` (LR x world size on every distributed run), ``key`` (only with
    ``scale_lr_by_world_size``) or ``never``."""
    default_world_size: int = 1
    fixed_weight_decay: float | None = None
    """The coefficient every decaying group really gets whatever the file says (AdamW's
    default when the trainer never passes ``weight_decay``), or ``None``: the file's value."""
    multiplier_forms: frozenset[str] = frozenset({"list", "string"})
    """Forms of ``lr_multipliers`` the launcher passes through intact."""
    target_ratio_policy: str = "used"
    """``required`` (a stage without N raises), ``default:2.0`` (stages without N use 2.0),
    or ``used``."""
    dtype_policy: str = ""
    log_format: str | None = None
    """Name of the trainer's own log-line format for ``analyze`` (``None``: none)."""
    lists_every_key: bool = False
    """The file is the trainer's dump of its whole config (every field always present), so a
    key at the trainer's default says nothing about what the user asked for."""
    commits: tuple[str, ...] = ()
    """First commit of this behaviour, then later commits that keep it."""
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}" if self.version else self.name

    def fact(self, key: str) -> KeyFact | None:
        return self.keys.get(key)

    def default(self, key: str) -> Any:
        fact = self.keys.get(key)
        return fact.default if fact is not None else None

    def reads(self, key: str) -> bool:
        """Whether this version reads ``key`` and uses it."""
        fact = self.keys.get(key)
        return fact is not None and fact.effect != IGNORED

    def accepts(self, key: str, form: str) -> bool:
        """Whether this trainer reads ``key`` written as ``form`` (``list``/``string``);
        what ``--fix`` asks before it rewrites a value's form."""
        if key == "lr_multipliers":
            return form in self.multiplier_forms
        return True

    @property
    def required_keys(self) -> list[str]:
        return [k for k, f in self.keys.items() if f.effect == REQUIRED]

    @property
    def ignored_keys(self) -> list[str]:
        return [k for k, f in self.keys.items() if f.effect == IGNORED]
