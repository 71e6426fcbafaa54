"""What the selected trainer really does with a flat file (HNL013, HNL208, HNL309-HNL312,
HNL507). Each rule reads the :class:`~hnet_lint.load.trainers.TrainerProfile` chosen for the
file and stays silent when there is none (native configs, unknown trainers)."""

from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ...load.runconfig import RunConfig
from ..engine import RuleContext, rule
from ..options import fraction
from ._util import fmt_num


def _profile(run: RunConfig):
    return run.trainer if run.dialect == "flat" else None


def _data(run: RunConfig) -> dict:
    """The file's values as its trainer receives them: for hierarchical-hnet, what
    scripts/train.py's argparse made of the printed text (a quoted "2" is 2)."""
    data = run.doc.data if isinstance(run.doc.data, dict) else {}
    profile = _profile(run)
    if profile is None or profile.name != "hierarchical-hnet":
        return data
    from ...load.trainers.launched import view_of

    return view_of(run).values


def effective(run: RunConfig):
    """The effective schedule of a flat run, or ``None`` when it cannot be computed."""
    if _profile(run) is None:
        return None  # before the import: the native path never loads the profiles
    from ...load.trainers.effective import ScheduleUnavailable, schedule_of

    if "_effective" not in run.__dict__:  # several rules ask; compute it once per run
        try:
            run.__dict__["_effective"] = schedule_of(run)
        except ScheduleUnavailable:
            run.__dict__["_effective"] = None
    return run.__dict__["_effective"]


@rule("HNL013", "trainer-profile-assumed", Severity.INFO, "input")
def trainer_assumed(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Which trainer profile judged a flat file, when the file does not say.

    ## Why it matters
    Defaults, ignored keys, step counting and the LR each parameter group gets belong to the
    code that reads the file, and they differ between trainers and between versions of one
    trainer. hnet-lint picks a profile from evidence only one trainer's file has
    (`downsampling_factors` for hierarchical-hnet from d28b7c4, `model_config_path` for
    if001/hnet); when the evidence fits several versions it assumes the current one and
    says so here, once per file. A flat file that matches no trainer is checked without
    trainer semantics (model, value ranges, sampling) and this finding says that too.
    `hnet-lint trainers` lists the profiles.

    ## Example
    ```json
    {"model_config": "configs/hnet_2stage_L.json", "learning_rate": 0.0002, "lr_multipliers": "2.0,1.5,1.0"}
    ```

    ## Use instead
    ```json
    {"trainer": "hierarchical-hnet@3f5944b", "model_config": "configs/hnet_2stage_L.json", "learning_rate": 0.0002, "lr_multipliers": "2.0,1.5,1.0"}
    ```
    """
    sel = run.trainer_selection
    if run.dialect != "flat" or sel is None or sel.how not in ("assumed", "none"):
        return
    if sel.how == "none":
        yield ctx.at((), f"no trainer profile matches ({sel.reason}): only checks that need no "
                         "trainer semantics ran; name one with --trainer or a `trainer` key",
                     data={"profile": None})
        return
    yield ctx.at((), f"judged as {sel.label}: {sel.reason}; pin the version with a `trainer` "
                     "key or --trainer", data={"profile": sel.label})


@rule("HNL208", "lr-multiplier-form-unsupported", Severity.ERROR, "multipliers")
def multiplier_form(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`lr_multipliers` written in a form the trainer version cannot parse.

    ## Why it matters
    hierarchical-hnet's first loader (`training_configs/load_hyperparams.sh` at d792a0e,
    unchanged until 8dbea2d) prints the JSON value as Python text and `scripts/train.py`
    splits it on commas: a list `[2.0, 1.0]` becomes the text `[2.0, 1.0]` and
    `float('[2.0')` raises before the model is built. From 8dbea2d the loader joins a list
    with commas, so both forms work. `--fix` therefore never turns the string into a list
    for these versions.

    ## Example
    ```json
    {"trainer": "hierarchical-hnet@3f5944b", "lr_multipliers": [2.0, 1.0]}
    ```

    ## Use instead
    ```json
    {"trainer": "hierarchical-hnet@3f5944b", "lr_multipliers": "2.0,1.0"}
    ```
    """
    profile = _profile(run)
    value = _data(run).get("lr_multipliers")
    if profile is None or value is None:
        return
    form = "list" if isinstance(value, list) else "string" if isinstance(value, str) else None
    if form is None or form in profile.multiplier_forms:
        return
    yield ctx.at(("optimizer", "lr_multiplier"),
                 f"{profile.label} passes lr_multipliers to scripts/train.py as printed text "
                 f"and splits it on ',': a JSON list arrives as {str(value)!r} and "
                 f"float({str(value).split(',')[0]!r}) raises; write the string "
                 f"{','.join(str(v) for v in value)!r}",
                 data={"profile": profile.label})


@rule("HNL309", "schedule-cut-by-accumulation", Severity.WARNING, "schedule",
      options={"min_reach": fraction(0.999)})
def schedule_cut(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """The run ends before the LR schedule does: steps counted in micro-batches.

    ## Why it matters
    hierarchical-hnet's loop (`scripts/train.py`, every version) counts micro-batches
    (`while step < num_training_steps`) but builds the scheduler with `num_training_steps`
    as its total and steps it once per optimizer step. With `gradient_accumulation_steps: 8`
    the run performs `num_training_steps / 8` updates and the schedule covers only 1/8 of
    its length: a 10% WSD warmup ends at 80% of the run and the decay never starts; a cosine
    ends near its peak. At d792a0e the scheduler even advanced once per 100 micro-batches.
    The finding states where warmup ends and what fraction of peak the last update sees, in
    optimizer steps (`hnet-lint schedule FILE` prints every step).

    ## Example
    ```json
    {"num_training_steps": 200000, "gradient_accumulation_steps": 8, "lr_scheduler": "wsd"}
    ```

    ## Use instead
    ```json
    {"num_training_steps": 200000, "gradient_accumulation_steps": 1, "batch_size": 64, "lr_scheduler": "wsd"}
    ```
    """
    eff = effective(run)
    if eff is None or eff.optimizer_steps <= 0:
        return
    reached = eff.scheduler_step_of(eff.optimizer_steps - 1) + 1
    if reached >= ctx.options["min_reach"] * eff.scheduler_total:
        return
    n = eff.optimizer_steps
    parts = [f"{eff.profile.label} runs {n} optimizer steps "
             f"({eff.scheduler_total} micro-batches / accumulation {eff.accumulation}) but its "
             f"scheduler spans {eff.scheduler_total} steps; it reaches step {reached} "
             f"({reached / eff.scheduler_total:.1%})"]
    warm_at = eff.optimizer_step_reaching(eff.warmup_end) if eff.warmup_end else 0
    if warm_at is None:
        parts.append(f"warmup never completes (peak reached: {eff.final_factor():.0%})")
    elif eff.warmup_end:
        parts.append(f"warmup ends at {warm_at / n:.0%} of the run")
    if eff.decay_start is not None and eff.decay_start > eff.warmup_end:
        start = eff.optimizer_step_reaching(eff.decay_start)
        parts.append("the decay never starts" if start is None
                     else f"the decay starts at {start / n:.0%}")
    parts.append(f"the last update uses {eff.final_factor():.0%} of peak LR")
    yield ctx.at(("schedule", "total_steps"), "; ".join(parts),
                 data={"profile": eff.profile.label, "optimizer_steps": n,
                       "scheduler_total": eff.scheduler_total,
                       "final_factor": eff.final_factor(),
                       "warmup_end_fraction": None if warm_at is None else warm_at / n})


@rule("HNL310", "lr-scaled-by-world-size", Severity.WARNING, "schedule")
def world_size_scaling(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """The trainer multiplies `learning_rate` by the number of processes.

    ## Why it matters
    hierarchical-hnet's `scripts/train.py` sets `effective_lr = learning_rate * world_size`:
    on every distributed run before 8dbea2d (no key controls it), and from 8dbea2d when
    `scale_lr_by_world_size` is true. Its cluster scripts launch 4 processes
    (`--ntasks-per-node=4`), so the peak LR of every stage is 4x what the file says, and
    `min_lr` is compared against the scaled LR. Linear LR scaling with the batch is a
    heuristic for SGD; for AdamW at these LRs it usually overshoots.

    ## Example
    ```json
    {"learning_rate": 0.000625, "scale_lr_by_world_size": true}
    ```

    ## Use instead
    ```json
    {"learning_rate": 0.000625, "scale_lr_by_world_size": false}
    ```
    """
    eff = effective(run)
    if eff is None or eff.lr_scale == 1.0:
        return
    where = ("optimizer", "lr")
    stages = ", ".join(fmt_num(eff.peak_lr * m) for m in eff.multipliers)
    why = ("on every distributed run" if eff.profile.world_size_scaling == "always"
           else "because scale_lr_by_world_size is true")
    yield ctx.at(where, f"{eff.profile.label} multiplies learning_rate {fmt_num(eff.base_lr)} "
                        f"by the world size {eff.world_size} {why} (its cluster scripts start "
                        f"{eff.profile.default_world_size} processes): peak LR "
                        f"{fmt_num(eff.peak_lr)}, per stage [{stages}]",
                 data={"profile": eff.profile.label, "scale": eff.lr_scale,
                       "peak_lr": eff.peak_lr})


@rule("HNL311", "key-has-no-effect", Severity.WARNING, "input")
def key_has_no_effect(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A key the trainer reads (or accepts) and never uses, given the other keys.

    ## Why it matters
    Such a key reads like a setting in review and in the run's records, but changing it
    changes nothing. Two kinds:

    * Keys a trainer version never uses at all. In hierarchical-hnet (from 8dbea2d)
      `weight_decay` is parsed and never passed to AdamW (every decaying tensor gets AdamW's
      default 0.01; see HNL403), `label_smoothing` never reaches the loss, `dropout` and
      `ema_decay` are printed and unused, `warmup_steps` is no longer read, and before
      d28b7c4 `downsampling_factors` is not read (N = 2.0 per stage).
    * Keys the schedule uses on another branch only. The effective schedule records which
      keys the branch it takes consumes (per profiled version, from the trainer's
      scheduler selection); a key the file sets that another branch consumes and this one
      does not is reported. In hierarchical-hnet, `lr_scheduler: cosine` (the default)
      warms up for 10% of `num_training_steps` and ignores `warmup_ratio`,
      `stable_ratio`, `decay_ratio` and `decay_type`; `linear` and `constant` also ignore
      `min_lr` (`get_linear_schedule_with_warmup` takes no floor). In if001/hnet a set
      `max_steps` makes `warmup_steps` unused (its value is reported only when it differs
      from the default, since that file lists every field).

    Each finding names the trainer version, what the run does instead and, for a schedule
    key, the branch that would use it.

    ## Example
    ```json
    {"lr_scheduler": "cosine", "warmup_ratio": 0.02, "dropout": 0.1}
    ```

    ## Use instead
    ```json
    {"lr_scheduler": "wsd", "warmup_ratio": 0.02, "stable_ratio": 0.78, "decay_ratio": 0.2}
    ```
    """
    profile = _profile(run)
    if profile is None:
        return
    from ...load.trainers.effective import schedule_path, schedule_paths, used_only_when
    from ...load.trainers.profile import IGNORED

    data = _data(run)
    path = schedule_path(profile, data)
    branches = schedule_paths(profile, data)
    branch_keys = frozenset().union(*(b.consumed for b in branches))
    for key, fact in profile.keys.items():
        if key not in data:
            continue
        value = data[key]
        if fact.effect == IGNORED:
            if key == "label_smoothing" and not value:
                continue  # 0.0 is what the loss does anyway
            why = fact.why
            schedule = key in _schedule_keys(profile, data)
            if schedule:
                why += f"; {path.describe}"
            yield _at_key(ctx, run, key, f"{key} has no effect in {profile.label}: {why}",
                          schedule=schedule)
        elif path.known and key in branch_keys and key not in path.consumed:
            if profile.lists_every_key and value == fact.default:
                continue  # the trainer wrote its own default: nothing was asked
            yield _at_key(ctx, run, key,
                          f"{key} has no effect in {profile.label}: {path.describe}; {key} is "
                          f"used only when {used_only_when(key, branches)}", schedule=True)


def _schedule_keys(profile, data: dict) -> frozenset[str]:
    """Keys some branch of some version of ``profile``'s trainer feeds to its schedule."""
    from ...load.trainers import PROFILES
    from ...load.trainers.effective import schedule_paths

    keys: set[str] = set()
    for other in PROFILES.values():
        if other.name == profile.name:
            for branch in schedule_paths(other, data):
                keys |= branch.consumed
    return frozenset(keys)


def _at_key(ctx: RuleContext, run: RunConfig, key: str, message: str,
            schedule: bool = False) -> Diagnostic:
    """A diagnostic on a top-level key of the flat file itself; ``schedule``: the key is an
    input of some branch of the trainer's LR schedule (``hnet-lint schedule`` shows it)."""
    from ...diagnostics import Diagnostic as D

    span = run.doc.span_of((key,), key=True)
    return D(span=span, code=ctx.meta.code, severity=ctx.severity, message=message,
             name=ctx.meta.name, path=(key,),
             data={"profile": run.trainer.label, "key": key, "schedule": schedule})


@rule("HNL312", "gradients-accumulate-across-steps", Severity.WARNING, "schedule")
def gradients_not_zeroed(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """The trainer zeroes gradients only every 100 micro-batches.

    ## Why it matters
    In hierarchical-hnet from d792a0e (`scripts/train_fixed.py`) and 322a13c
    (`scripts/train.py`) to HEAD, `optimizer.zero_grad()` sits inside the
    `if step % 100 == 0:` gradient-monitoring block instead of after `optimizer.step()`.
    Every update between two zeroings therefore applies the sum of all gradients since the
    last one: the measured gradient norm grows step by step (clipping then scales the sum
    down), and each update's direction is dominated by stale gradients. No key turns this
    off; use a trainer version that zeroes after each optimizer step.

    ## Example
    ```json
    {"trainer": "hierarchical-hnet@d28b7c4", "gradient_accumulation_steps": 8}
    ```

    ## Use instead
    ```json
    {"trainer": "none", "gradient_accumulation_steps": 8}
    ```
    """
    profile = _profile(run)
    if profile is None or not profile.zero_grad_every:
        return
    accum = _data(run).get("gradient_accumulation_steps")
    if isinstance(accum, int) and not isinstance(accum, bool) and accum >= profile.zero_grad_every \
            and accum % profile.zero_grad_every == 0:
        return
    every = profile.zero_grad_every
    valid = isinstance(accum, int) and not isinstance(accum, bool) and accum > 0
    per = f"up to {-(-every // accum) if valid else every} optimizer steps"
    yield ctx.at(("training", "grad_accum_steps"),
                 f"{profile.label} calls zero_grad() only every {every} micro-batches, so "
                 f"gradients are summed across {per}; each update applies stale gradients "
                 "and the logged grad_norm grows between zeroings",
                 data={"profile": profile.label, "zero_grad_every": every})


@rule("HNL507", "target-ratio-required", Severity.ERROR, "chunking")
def target_ratio_required(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """The trainer needs a target ratio N for every stage and the file gives none.

    ## Why it matters
    From d28b7c4 ("implement downsampling factors to match the paper") hierarchical-hnet's
    `training/losses.py` raises `ValueError` when a stage has no entry in
    `downsampling_factors` (before, it silently used N = 2.0). Without the key the run
    stops at the first micro-batch (via the 1stage_L cluster script, the text `None`
    already fails to parse in `main()`). The paper uses [6.0] for one stage ('6-DC') and
    [3.0, 3.0] for two ('(3,3)-DC').

    ## Example
    ```json
    {"model_config": "configs/hnet_2stage_XL.json", "lr_scheduler": "wsd"}
    ```

    ## Use instead
    ```json
    {"model_config": "configs/hnet_2stage_XL.json", "lr_scheduler": "wsd", "downsampling_factors": [3.0, 3.0]}
    ```
    """
    profile = _profile(run)
    if profile is None or profile.target_ratio_policy != "required":
        return
    from ...load.trainers.canonical import split_numbers

    raw = _data(run).get("downsampling_factors")
    given = split_numbers(raw) if raw is not None else []
    stages = run.num_stages
    if given is None:
        return  # not numbers: HNL007
    if raw is None:
        need = f"{stages} stage{'s' if stages != 1 else ''}" if stages else "every stage"
        yield ctx.at(("routing", "target_ratio"),
                     f"{profile.label} raises ValueError at the first step: "
                     f"downsampling_factors is missing and the load-balancing loss needs N for "
                     f"{need} (the paper: [6.0] for 1 stage, [3.0, 3.0] for 2)",
                     data={"profile": profile.label})
    elif stages and len(given) < stages:
        yield ctx.at(("routing", "target_ratio"),
                     f"{profile.label} raises ValueError at the first step: downsampling_factors "
                     f"has {len(given)} entr{'y' if len(given) == 1 else 'ies'} for {stages} "
                     "stages", data={"profile": profile.label})
