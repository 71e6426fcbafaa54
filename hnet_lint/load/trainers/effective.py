"""The LR each parameter group will see at every optimizer step, as the trainer computes it.

Nothing is guessed from what a file "appears" to ask for: the run length, warmup, decay,
world-size scaling and per-stage multipliers come from the selected profile's model of the
trainer's code. Units are stated: ``optimizer_steps`` is how many optimizer updates the run
performs; the scheduler's own step counter may run in other units (see the profile).

For hierarchical-hnet the scheduler is a ``LambdaLR`` built with ``num_training_steps`` as its
total; its factor at scheduler step ``k`` is the lambda below. After optimizer step ``j``
(0-based) the scheduler has been stepped ``j + 1`` times, so update ``j`` uses factor
``f(j)``. The loop stops after ``num_training_steps`` micro-batches, i.e.
``num_training_steps // gradient_accumulation_steps`` updates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from .profile import TrainerProfile

__all__ = ["EffectiveSchedule", "effective_schedule", "ScheduleUnavailable", "schedule_of",
           "groups_of", "schedule_to_dict", "LoggedSchedule", "SchedulePath", "schedule_path",
           "schedule_paths"]


class ScheduleUnavailable(ValueError):
    """The file lacks what the schedule needs (the message says what)."""


@dataclass(frozen=True)
class EffectiveSchedule:
    """The schedule a run will really follow."""

    profile: TrainerProfile
    base_lr: float
    """``learning_rate`` as written."""
    lr_scale: float
    """World-size factor applied by the trainer (1 when none)."""
    world_size: int
    multipliers: tuple[float, ...]
    """Per-stage multiplier each stage's parameter group gets, outermost first."""
    optimizer_steps: int
    """Updates the run performs."""
    scheduler_total: int
    """The total the scheduler was built with, in its own steps."""
    accumulation: int
    name: str
    warmup_end: int
    """First scheduler step at peak."""
    decay_start: int | None
    """First scheduler step of the decay (``None``: no decay phase)."""
    factor: Callable[[int], float] = field(repr=False)
    """LR factor (0..1 of peak) at a scheduler step."""
    scheduler_step_of: Callable[[int], int] = field(repr=False)
    """Scheduler step in effect at optimizer step ``j`` (0-based)."""
    notes: tuple[str, ...] = ()
    weight_decay: float | None = None
    """The coefficient decaying groups get when the trainer uses the file's value (the
    profile's ``fixed_weight_decay`` wins when set); ``None``: unknown."""
    exempt: str = "*.bias, *.norm.*"
    """The tensors the parameter grouping exempts from weight decay."""
    path: SchedulePath | None = None
    """The branch of the trainer's scheduler code taken and the keys it consumed (``None``:
    the native dialect, whose schedule is the file's own)."""

    @property
    def peak_lr(self) -> float:
        return self.base_lr * self.lr_scale

    def lr(self, step: int, stage: int = 0) -> float:
        """LR of stage ``stage``'s parameter groups at optimizer step ``step`` (0-based)."""
        mult = self.multipliers[stage] if stage < len(self.multipliers) else 1.0
        return self.peak_lr * mult * self.factor(self.scheduler_step_of(step))

    def final_factor(self) -> float:
        """Fraction of peak at the last update."""
        return self.factor(self.scheduler_step_of(max(self.optimizer_steps - 1, 0)))

    def optimizer_step_reaching(self, sched_step: int) -> int | None:
        """First optimizer step whose scheduler step is at least ``sched_step`` (``None``:
        the run ends first)."""
        lo, hi = 0, self.optimizer_steps
        while lo < hi:
            mid = (lo + hi) // 2
            if self.scheduler_step_of(mid) >= sched_step:
                hi = mid
            else:
                lo = mid + 1
        return lo if lo < self.optimizer_steps else None

    def sample_steps(self, points: int = 0) -> list[int]:
        """Optimizer steps to tabulate: all of them, or ``points`` evenly spaced ones plus the
        phase boundaries."""
        n = self.optimizer_steps
        if points <= 0 or n <= points:
            return list(range(n))
        steps = {round(i * (n - 1) / (points - 1)) for i in range(points)}
        for edge in (self.warmup_end, self.decay_start):
            if edge is not None:
                hit = self.optimizer_step_reaching(edge)
                if hit is not None:
                    steps.add(hit)
        return sorted(steps)


@dataclass(frozen=True)
class SchedulePath:
    """The branch of a trainer's scheduler code that a file's values select, and the file keys
    that branch consumes.

    The effective schedule is computed from :attr:`inputs` alone (reading any other key is a
    programming error, :meth:`value` raises), so ``consumed`` is exactly what the schedule
    depends on. A key the trainer reads that another branch consumes and this one does not has
    no effect on this run (HNL311 reports it)."""

    selector: tuple[str, str] | None
    """The key that picks the branch and the value that picked this one (``None``: the
    trainer has a single branch)."""
    describe: str
    """What the trainer does on this branch, for messages."""
    consumed: frozenset[str]
    """Every key this branch reads, written in the file or not."""
    inputs: dict[str, Any]
    """The consumed keys the file has, with their values as received."""
    known: bool = True
    """``False``: the selecting value is none the trainer accepts (the launch stops before a
    schedule exists), so no key can be said to go unused."""

    @property
    def label(self) -> str:
        """The branch as a condition on the file: ``lr_scheduler is cosine``."""
        return "every run" if self.selector is None else " is ".join(self.selector)

    def value(self, key: str, default: Any = None) -> Any:
        """A consumed key's value (``default`` when absent or null)."""
        if key not in self.consumed:
            raise LookupError(f"the schedule read {key!r}, which its path did not record")
        value = self.inputs.get(key)
        return default if value is None else value


class _Reader:
    """Records every key a schedule path reads from the file's values."""

    def __init__(self, values: dict[str, Any]):
        self._values = values
        self.consumed: set[str] = set()

    def read(self, *keys: str) -> None:
        self.consumed.update(keys)

    def get(self, key: str, default: Any = None) -> Any:
        self.read(key)
        value = self._values.get(key)
        return default if value is None else value

    def path(self, selector: tuple[str, str] | None, describe: str,
             known: bool = True) -> SchedulePath:
        inputs = {k: self._values[k] for k in self.consumed if k in self._values}
        return SchedulePath(selector, describe, frozenset(self.consumed), inputs, known)


def _tenth(values: dict[str, Any], key: str) -> str:
    """``10% of key`` with the step count when the total is a usable integer."""
    total = values.get(key)
    if isinstance(total, int) and not isinstance(total, bool) and total > 0:
        return f"10% of {key} ({int(total * 0.1)} steps)"
    return f"10% of {key}"


def schedule_path(profile: TrainerProfile, values: dict[str, Any]) -> SchedulePath:
    """The branch of ``profile``'s scheduler code that ``values`` (as the trainer receives
    them) select, with every key it consumes. Needs no valid value: it only follows the
    trainer's branching."""
    if profile.name == "hierarchical-hnet":
        return _hierarchical_path(profile, values)
    if profile.name == "if001-hnet":
        return _if001_path(values)
    raise ScheduleUnavailable(f"no schedule model for {profile.label}")


def schedule_paths(profile: TrainerProfile, values: dict[str, Any]) -> list[SchedulePath]:
    """Every branch the trainer's scheduler selection can take for this file: the file's own
    values with the selecting key set to each value the trainer accepts."""
    if profile.name == "hierarchical-hnet" and profile.reads("lr_scheduler"):
        choices = profile.fact("lr_scheduler").choices
        return [_hierarchical_path(profile, {**values, "lr_scheduler": c}) for c in choices]
    if profile.name == "if001-hnet":
        return [_if001_path({**values, "max_steps": 1}), _if001_path({**values, "max_steps": None})]
    return [schedule_path(profile, values)]


def _hierarchical_path(profile: TrainerProfile, values: dict[str, Any]) -> SchedulePath:
    """scripts/train.py: the scheduler is built from num_training_steps, the LR (scaled by
    the world size where the version does), the multipliers and, per ``lr_scheduler``, the
    inputs ``get_lr_scheduler`` really uses (training/utils.py)."""
    r = _Reader(values)
    r.read("num_training_steps", "gradient_accumulation_steps", "learning_rate",
           "lr_multipliers")
    if profile.world_size_scaling == "key":
        r.read("scale_lr_by_world_size")
    if not profile.reads("lr_scheduler"):  # the first loader: get_lr_scheduler(..., "cosine")
        warm = r.get("warmup_steps")
        shown = f" ({warm})" if isinstance(warm, int) and not isinstance(warm, bool) else ""
        return r.path(None, f"the schedule is always cosine: warmup for warmup_steps{shown}, "
                            "then decay to 0")
    name = r.get("lr_scheduler", "cosine")
    tenth = _tenth(values, "num_training_steps")
    if name == "wsd":
        # get_wsd_schedule(ratio or default, decay_type, min_lr_ratio)
        r.read("warmup_ratio", "stable_ratio", "decay_ratio", "decay_type", "min_lr")
        return r.path(("lr_scheduler", "wsd"),
                      "lr_scheduler wsd warms up, holds and decays for warmup_ratio, "
                      "stable_ratio and decay_ratio of num_training_steps, decays by decay_type "
                      "and ends at min_lr")
    # `args.warmup_steps or int(N * 0.1)`: warmup_steps is never passed by this loader
    if name == "cosine":
        r.read("min_lr")  # get_cosine_schedule_with_warmup(min_lr_ratio=...)
        return r.path(("lr_scheduler", "cosine"),
                      f"lr_scheduler cosine warms up for {tenth} and decays to min_lr")
    if name == "linear":  # get_linear_schedule_with_warmup takes no floor
        return r.path(("lr_scheduler", "linear"),
                      f"lr_scheduler linear warms up for {tenth} and decays to 0 "
                      "(get_linear_schedule_with_warmup takes no min_lr)")
    if name == "constant":
        return r.path(("lr_scheduler", "constant"),
                      f"lr_scheduler constant warms up for {tenth}, then holds the peak LR")
    choices = ", ".join(profile.fact("lr_scheduler").choices)
    return r.path(("lr_scheduler", str(name)),
                  f"lr_scheduler {name!r} is none of {choices}: argparse stops the launch",
                  known=False)


def _if001_path(values: dict[str, Any]) -> SchedulePath:
    """hnet/training/trainer.py: ``lr_total_steps = max_steps or estimated``; with a total,
    ``wsd_schedule`` (fixed 10/70/20 ratios) down to min_learning_rate; without one, linear
    warmup for warmup_steps and then constant."""
    r = _Reader(values)
    r.read("learning_rate", "lr_multipliers", "grad_accum_steps", "min_learning_rate")
    if r.get("max_steps") is not None:
        return r.path(("max_steps", "set"),
                      "max_steps is set, so the WSD schedule warms up for "
                      f"{_tenth(values, 'max_steps')}, holds to 80% and decays to "
                      "min_learning_rate")
    r.read("warmup_steps")  # used when the data gives no length estimate either
    return r.path(("max_steps", "null"),
                  "max_steps is null: the total is estimated from the data (WSD), or without "
                  "an estimate warmup_steps of linear warmup and then a constant LR")


def used_only_when(key: str, paths: list[SchedulePath]) -> str:
    """``lr_scheduler is cosine or wsd``: the branches among ``paths`` that consume ``key``."""
    users = [p.selector for p in paths if key in p.consumed and p.selector is not None]
    if not users:
        return "no branch of this version"
    return f"{users[0][0]} is " + " or ".join(value for _, value in users)


def _num(values: dict, key: str, default: Any = None) -> Any:
    value = values.get(key, default)
    return default if value is None else value


def effective_schedule(profile: TrainerProfile, values: dict[str, Any],
                       num_stages: int | None = None,
                       world_size: int | None = None) -> EffectiveSchedule:
    """The schedule ``profile``'s trainer builds from the file's ``values`` (as parsed,
    multipliers already a list). ``num_stages`` is S (stages 0..S) when the model is known."""
    if profile.name == "hierarchical-hnet":
        return _hierarchical(profile, values, num_stages, world_size)
    if profile.name == "if001-hnet":
        return _if001(profile, values, num_stages)
    raise ScheduleUnavailable(f"no schedule model for {profile.label}")


def _multipliers(values: dict, key: str, num_stages: int | None) -> tuple[float, ...]:
    mult = values.get(key)
    if not isinstance(mult, list) or not all(isinstance(m, (int, float)) for m in mult):
        raise ScheduleUnavailable(f"{key} must be a list of numbers")
    if num_stages is not None:
        mult = mult[: num_stages + 1]
    return tuple(float(m) for m in mult)


def _positive_int(values: dict, key: str) -> int:
    value = values.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ScheduleUnavailable(f"{key} must be a positive integer")
    return value


def _hierarchical(profile: TrainerProfile, values: dict, num_stages: int | None,
                  world_size: int | None) -> EffectiveSchedule:
    path = _hierarchical_path(profile, values)
    if not path.known:
        raise ScheduleUnavailable(path.describe)
    values = path.inputs  # nothing else may shape the schedule (see SchedulePath)
    total = _positive_int(values, "num_training_steps")
    accum = _positive_int(values, "gradient_accumulation_steps")
    lr = values.get("learning_rate")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < math.inf:
        raise ScheduleUnavailable("learning_rate must be a positive number")
    mult = _multipliers(values, "lr_multipliers", num_stages)
    world = world_size or profile.default_world_size
    scaled = (profile.world_size_scaling == "always"
              or (profile.world_size_scaling == "key"
                  and path.value("scale_lr_by_world_size") is True))
    scale = float(world) if scaled else 1.0
    wsd_loader = profile.reads("lr_scheduler")
    name = path.value("lr_scheduler", "cosine") if wsd_loader else "cosine"
    notes = []
    if "min_lr" in path.consumed:  # consumed, written or not: argparse supplies its default
        min_lr = path.value("min_lr", profile.default("min_lr"))
        if isinstance(min_lr, bool) or not isinstance(min_lr, (int, float)) \
                or not 0 <= min_lr < math.inf:
            raise ScheduleUnavailable("min_lr must be a finite number >= 0")
        min_ratio = float(min_lr) / (lr * scale)
    else:
        min_ratio = 0.0  # the first cosine, linear and constant have no floor
    if name == "wsd":
        # get_lr_scheduler passes `ratio or default`: 0.0 counts as absent.
        wr = path.value("warmup_ratio") or 0.1
        sr = path.value("stable_ratio") or 0.7
        dr = path.value("decay_ratio") or 0.2
        if not abs(wr + sr + dr - 1.0) < 1e-6:  # the trainer's assert, NaN included
            raise ScheduleUnavailable(
                f"get_wsd_schedule asserts the ratios sum to 1 (got {wr + sr + dr:.6g}); the "
                "trainer stops before the first step")
        warm = int(total * wr)
        stable_end = warm + int(total * sr)
        decay_len = total - stable_end
        decay_type = path.value("decay_type", "inverse_sqrt")
        factor = _wsd(warm, stable_end, decay_len, decay_type, min_ratio)
        decay_start: int | None = stable_end
    else:
        if wsd_loader:
            warm = int(total * 0.1)  # `args.warmup_steps or int(N * 0.1)`; never passed
        else:
            warm = int(path.value("warmup_steps", 0))
        factor = _warm_then(name, warm, total, min_ratio)
        decay_start = warm if name in ("cosine", "linear") else None
    optimizer_steps = total // accum
    stride = profile.scheduler_stride
    if stride:
        # scheduler.step() runs at micro-batches 0, stride, 2*stride, ...; update j happens
        # at micro-batch (j + 1) * accum - 1 and sees every step taken before it.
        def sched_of(j: int) -> int:
            micro = (j + 1) * accum - 1
            return (micro + stride - 1) // stride
        notes.append(f"the scheduler advances once per {stride} micro-batches")
    else:
        def sched_of(j: int) -> int:
            return j
    return EffectiveSchedule(
        profile=profile, base_lr=float(lr), lr_scale=scale, world_size=world,
        multipliers=mult, optimizer_steps=optimizer_steps, scheduler_total=total,
        accumulation=accum, name=name, warmup_end=warm, decay_start=decay_start,
        factor=factor, scheduler_step_of=sched_of, notes=tuple(notes), path=path,
    )


def _warm(step: int, warm: int) -> float:
    return float(step) / float(max(1, warm))


def _warm_then(name: str, warm: int, total: int, min_ratio: float) -> Callable[[int], float]:
    def factor(k: int) -> float:
        if k < warm:
            return _warm(k, warm)
        if name == "constant":
            return 1.0
        if name == "linear":
            return max(0.0, float(total - k) / float(max(1, total - warm)))
        progress = float(k - warm) / float(max(1, total - warm))
        cos = 0.5 * (1.0 + math.cos(math.pi * progress))
        return max(min_ratio, min_ratio + (1.0 - min_ratio) * cos)
    return factor


def _wsd(warm: int, stable_end: int, decay_len: int, kind: str,
         min_ratio: float) -> Callable[[int], float]:
    def factor(k: int) -> float:
        if k < warm:
            return _warm(k, warm)
        if k < stable_end:
            return 1.0
        p = float(k - stable_end) / float(max(1, decay_len))
        if kind == "inverse_sqrt":
            slope = (1.0 / min_ratio) ** 2 - 1 if min_ratio > 0 else 99.0
            return max(min_ratio, 1.0 / math.sqrt(1.0 + slope * p))
        if kind == "linear":
            return max(min_ratio, 1.0 - (1.0 - min_ratio) * p)
        cos = 0.5 * (1.0 + math.cos(math.pi * p))
        return max(min_ratio, min_ratio + (1.0 - min_ratio) * cos)
    return factor


def _if001(profile: TrainerProfile, values: dict, num_stages: int | None) -> EffectiveSchedule:
    path = _if001_path(values)
    file_values, values = values, path.inputs  # nothing else may shape the schedule
    lr = values.get("learning_rate", 3e-4)
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < math.inf:
        raise ScheduleUnavailable("learning_rate must be a positive number")
    total = values.get("max_steps")
    if total is None:
        raise ScheduleUnavailable("max_steps is null: the trainer estimates the length from "
                                  "the data, which a static check cannot see")
    total = _positive_int(values, "max_steps")
    mult = _multipliers(values, "lr_multipliers", num_stages)
    # a null or mistyped value is the dataclass's None/str in the trainer, which fails there;
    # the type findings say so, and no schedule is computed from it
    min_lr = _file_number(values, "min_learning_rate", 3e-5)
    if min_lr is None or not math.isfinite(min_lr):
        raise ScheduleUnavailable("min_learning_rate must be a number")
    accumulation = _positive_int({"grad_accum_steps": 8, **values}, "grad_accum_steps")
    warm = max(1, int(total * 0.1))
    decay = max(1, int(total * 0.2))
    stable_end = max(warm, total - decay)
    span = 100.0
    end = 1.0 / math.sqrt(span)

    def factor(k: int) -> float:  # fraction of peak, from wsd_schedule's absolute LR
        if k < warm:
            return float(k + 1) / float(warm)
        if k < stable_end:
            return 1.0
        p = min(max((k - stable_end) / float(max(1, total - stable_end)), 0.0), 1.0)
        norm = (1.0 / math.sqrt(1.0 + p * (span - 1.0)) - end) / max(1e-8, 1.0 - end)
        return (min_lr + (lr - min_lr) * norm) / lr

    return EffectiveSchedule(
        profile=profile, base_lr=float(lr), lr_scale=1.0, world_size=1, multipliers=mult,
        optimizer_steps=total, scheduler_total=total,
        accumulation=accumulation, name="wsd", warmup_end=warm,
        decay_start=stable_end, factor=factor, scheduler_step_of=lambda j: j,
        weight_decay=_file_number(file_values, "weight_decay", profile.default("weight_decay")),
        path=path,
    )


def _file_number(values: dict, key: str, default: Any) -> float | None:
    value = values.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


#: The native dialect's contract with the user's own trainer: the ``schedule`` section as
#: :mod:`hnet_lint.schedules` defines it, counted in optimizer steps, no world-size scaling,
#: weight decay as the file says. The schedule shown is the one the file asks for.
NATIVE = TrainerProfile(
    name="native", version="",
    summary="your own trainer, following the config's `schedule` section in optimizer steps",
    source="hnet_lint/schedules.py (the native config's own schedule semantics)",
    keys={}, loop_unit="optimizer")


def schedule_of(run: Any, world_size: int | None = None) -> EffectiveSchedule:
    """The effective schedule of a normalized run: for a flat file, as its trainer profile
    computes it (the values it wrote, its model's stage count); for a native config, its own
    ``schedule`` section. Raises :class:`ScheduleUnavailable` with the reason."""
    from .canonical import split_numbers

    if run.dialect == "native":
        return _native(run)
    profile = getattr(run, "trainer", None)
    if run.dialect != "flat" or profile is None:
        raise ScheduleUnavailable(
            "the effective schedule needs a schedule: a native run config, or a flat trainer "
            "file whose trainer is known or named with --trainer")
    values = dict(run.doc.data) if isinstance(run.doc.data, dict) else {}
    if profile.name == "hierarchical-hnet":  # as scripts/train.py's argparse received them
        from .launched import view_of

        values = dict(view_of(run).values)
    for key in ("lr_multipliers",):
        if key in values:
            values[key] = split_numbers(values[key])
    return effective_schedule(profile, values, run.num_stages, world_size)


def _native(run: Any) -> EffectiveSchedule:
    from ...schedules import schedule_from_config

    opt, section, training = run.optimizer, run.schedule, run.training
    lr = opt.lr if opt is not None else None
    sched = schedule_from_config(lr, section)
    if sched is None:
        raise ScheduleUnavailable("the schedule needs optimizer.lr and schedule.total_steps")
    stages = (run.num_stages + 1) if run.num_stages is not None else 1
    mult = tuple(float(m) for m in (opt.lr_multiplier or [1.0] * stages)[:stages])
    peak = sched.peak_lr
    decay_start: int | None = sched.warmup_end() if sched.name in ("cosine", "linear") else None
    if sched.name == "wsd":
        from ...schedules import _wsd_phases

        decay_start = int(math.ceil(_wsd_phases(sched)[0]))
    return EffectiveSchedule(
        profile=NATIVE, base_lr=peak, lr_scale=1.0, world_size=1, multipliers=mult,
        optimizer_steps=sched.total_steps, scheduler_total=sched.total_steps,
        accumulation=(training.grad_accum_steps if training and training.grad_accum_steps else 1),
        name=sched.name, warmup_end=sched.warmup_end(), decay_start=decay_start,
        factor=lambda k: sched.lr(k) / peak, scheduler_step_of=lambda j: j,
        weight_decay=opt.weight_decay,
        exempt=("*.bias, norm gains, A_log, dt_bias, D, pad_dimension"
                if opt.grouping == "corrected" else "*.bias, *.norm.*"),
    )


def groups_of(eff: EffectiveSchedule) -> list[dict[str, Any]]:
    """The optimizer's parameter groups: per stage, the decaying tensors and the exempt ones
    (``*.bias``, ``*.norm.*``), with the multiplier and weight decay each really gets."""
    decay = eff.profile.fixed_weight_decay
    if decay is None:
        decay = eff.weight_decay
    out = []
    for stage, mult in enumerate(eff.multipliers):
        for exempt in (False, True):
            out.append({
                "stage": stage, "lr_multiplier": mult,
                "weight_decay": 0.0 if exempt else decay,
                "tensors": eff.exempt if exempt else "all others",
            })
    return out


def schedule_to_dict(eff: EffectiveSchedule, steps: list[int] | None = None) -> dict[str, Any]:
    """JSON-ready: the profile and units used, and per parameter group the LR at every
    optimizer step (or at ``steps``)."""
    steps = list(range(eff.optimizer_steps)) if steps is None else steps
    per_stage = {s: [eff.lr(j, s) for j in steps] for s in range(len(eff.multipliers))}
    groups = []
    for group in groups_of(eff):
        groups.append({**group, "lr": per_stage[group["stage"]]})
    return {
        "profile": eff.profile.label,
        "source": eff.profile.source,
        "step_unit": "optimizer step",
        "loop_unit": eff.profile.loop_unit,
        "optimizer_steps": eff.optimizer_steps,
        "scheduler_total": eff.scheduler_total,
        "gradient_accumulation": eff.accumulation,
        "world_size": eff.world_size,
        "lr_scale": eff.lr_scale,
        "base_lr": eff.base_lr,
        "peak_lr": eff.peak_lr,
        "schedule": eff.name,
        "warmup_end_scheduler_step": eff.warmup_end,
        "decay_start_scheduler_step": eff.decay_start,
        "notes": list(eff.notes),
        "steps": steps,
        "groups": groups,
    }


@dataclass(frozen=True)
class LoggedSchedule:
    """The LR a trainer's own log shows at its own step count (before multipliers).

    hierarchical-hnet logs ``Step {step + 1}`` in micro-batches, after the optimizer and
    scheduler steps of that micro-batch: at logged step ``m`` the scheduler has been
    stepped once per completed optimizer step, ``m // accumulation`` times (at d792a0e once
    per 100 micro-batches: ``ceil(m / 100)`` times). Same interface as
    :class:`hnet_lint.schedules.Schedule` where the log analyzer uses it.
    """

    eff: EffectiveSchedule
    unit: str = "micro-batch"

    @property
    def peak_lr(self) -> float:
        return self.eff.peak_lr

    @property
    def name(self) -> str:
        return f"{self.eff.name} ({self.eff.profile.label}, steps in {self.unit}es)"

    @property
    def total_steps(self) -> int:
        return self.eff.scheduler_total

    def scheduler_steps_at(self, step: float) -> int:
        m = max(int(step), 0)
        stride = self.eff.profile.scheduler_stride
        if stride:
            return (m + stride - 1) // stride
        return m // self.eff.accumulation

    def lr(self, step: float) -> float:
        return self.eff.peak_lr * self.eff.factor(self.scheduler_steps_at(step))

    @property
    def warmup_steps(self) -> int:
        return self.warmup_end()

    def warmup_end(self) -> int:
        """First logged step at peak."""
        stride = self.eff.profile.scheduler_stride
        return self.eff.warmup_end * (stride or self.eff.accumulation)
