"""The observation layer: hooks on any model + optimizer that record what training did.

One :class:`Monitor` per (model, optimizer) pair, driven by three loops: the dry-run's smoke
phase (our trainer), :func:`hnet_lint.inspect` (your ``step_fn``) and ``hnet-lint watch`` (your
unchanged trainer, found through torch's global hooks). It only records; what the records mean is
decided once, in :mod:`hnet_lint.observe.checks`, from :meth:`Monitor.observation`. It watches
training without owning the loop:

* ``optimizer`` step pre-hook (before every ``optimizer.step()``): per-group LR vs the configured
  multipliers (and vs base x multiplier x schedule(t) when the schedule is known); NaN/Inf in
  gradients, localized to parameter names; which elements ever received a non-zero gradient.
* ``optimizer`` step post-hook: NaN/Inf in parameters; opens a new accumulation cycle.
* a gradient hook on every parameter: the first backward after a step (the start of a cycle)
  checks that every ``.grad`` is None or zero. This catches ``zero_grad`` placed anywhere wrong
  (every N micro-steps, before the wrong backward) without knowing the trainer's loop.
* at the end, the fraction of elements unchanged since attach, per optimizer group, counting only
  elements that received a non-zero gradient (embedding rows of unseen bytes do not count).

Wrapped models (``distributed.py``): names are the original ones (DDP's ``module.`` stripped,
FSDP1 flat parameters expanded to the names they hold), tensors are read through their local
shards, and an optimizer group whose parameters span stages with different multipliers (one
group has one LR: what FSDP1's ``use_orig_params=False`` flattening or a plain
``AdamW(model.parameters())`` does) is a multiplier violation. FSDP2 and FSDP1 write ``.grad``
themselves, so per-parameter hooks never fire; there the start of a cycle is found by a hook
on the gradient of the model's first output after each step.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Optional

import torch
import torch.nn as nn

from ..model.training import no_decay_reason
from ..dryrun.distributed import is_wrapped, local, param_names

__all__ = ["Monitor", "stage_of_name", "GroupView"]

_MAIN = re.compile(r"main_network\.")


def stage_of_name(name: str, num_stages: int) -> int:
    """Stage s of a parameter from its name: each ``main_network.`` goes one stage inward.

    ``embeddings``/``lm_head`` are stage 0 (as upstream ``apply_lr_multiplier``); the innermost
    stage's Isotropic adds one more ``main_network.`` that does not start a stage.
    """
    return min(len(_MAIN.findall(name)), num_stages)


@dataclass
class GroupView:
    """One optimizer group as the checks see it."""

    index: int
    names: list[str]  # one per optimizer tensor (a flat parameter's own name)
    stages: list[int]  # of every original parameter the group holds
    expected_multiplier: Optional[float]  # None when the group mixes stages with different multipliers
    weight_decay: float
    held: list[list[str]] = field(default_factory=list)  # original names per tensor
    shapes: list[list] = field(default_factory=list)  # original shapes per tensor (None: its own)


@dataclass
class Monitor:
    """Attach to (model, optimizer); read the records after some optimizer steps."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    multipliers: Optional[list[float]] = None
    num_stages: int = 0
    lr_at: Optional[Callable[[int], float]] = None  # base LR x schedule(t); None = ratios only
    rel_tol: float = 1e-6
    snapshot: bool = True

    steps: int = 0
    lr_log: list[list[float]] = field(default_factory=list)
    lr_violations: list[dict] = field(default_factory=list)
    nonfinite_grads: list[dict] = field(default_factory=list)
    nonfinite_params: list[dict] = field(default_factory=list)
    dirty_cycles: list[dict] = field(default_factory=list)
    mixed_groups: list[dict] = field(default_factory=list)
    micro_steps: int = 0

    #: forward passes of the model with gradients enabled per optimizer step (micro-batches)
    forwards_per_step: list[int] = field(default_factory=list)
    #: ``LRScheduler.step`` calls per optimizer step (fed by :mod:`.patches`; empty: not watched)
    scheduler_per_step: list[int] = field(default_factory=list)
    #: multipliers read from the parameters' ``_optim["lr_multiplier"]`` tags when none are given
    tagged: bool = False
    #: per optimizer step, the sum of the scalars ``backward()`` was called on (the objective the
    #: step's gradient is of: the loss when micro-batch losses are scaled by 1/accumulation);
    #: fed by :func:`.patches.losses_seen`
    loss_log: list[float] = field(default_factory=list)
    nonfinite_losses: list[dict] = field(default_factory=list)
    #: tensor checks (non-finite values, dirty cycles, touched elements) on every ``every``-th
    #: optimizer step only; LRs and counts are recorded at every step (``watch --follow``)
    every: int = 1

    def __post_init__(self) -> None:
        self._held = param_names(self.model)
        self._names = {k: v[0] for k, v in self._held.items()}
        self._wrapped = is_wrapped(p for g in self.optimizer.param_groups for p in g["params"])
        self.groups = self._group_views()
        self._initial: dict[int, torch.Tensor] = {}
        self._touched: dict[int, torch.Tensor] = {}
        self._handles: list = []
        self._cycle_open = False
        self._armed = False
        self._forwards = 0
        self._scheduler_calls = 0
        self._losses: list[torch.Tensor] = []
        self._snapshot_step = 0  # the optimizer step the unchanged-element snapshot was taken at
        self.scheduler_watched = False

    # -- structure -------------------------------------------------------------------------
    def _group_views(self) -> list[GroupView]:
        views = []
        for i, g in enumerate(self.optimizer.param_groups):
            names = [self._names.get(id(p), f"<unnamed {j}>") for j, p in enumerate(g["params"])]
            held = [self._held[id(p)][1] if id(p) in self._held else [n] for p, n in zip(g["params"], names)]
            shapes = [self._held[id(p)][2] if id(p) in self._held else [None] for p in g["params"]]
            stages = [stage_of_name(n, self.num_stages) for h in held for n in h]
            exp = None
            tags = [getattr(p, "_optim", {}).get("lr_multiplier") for p in g["params"]]
            if not self.multipliers and tags and all(t is not None for t in tags):
                self.tagged = True  # the model says what each tensor should get
                per = {}
                for t, h in zip(tags, held):
                    for n in h:
                        per.setdefault(stage_of_name(n, self.num_stages), float(t))
                mults = {float(t) for t in tags}
                exp = mults.pop() if len(mults) == 1 else None
                if exp is None:
                    flat = [n for n, h in zip(names, held) if len(h) > 1]
                    self.mixed_groups.append({"group": i, "stages": sorted(per), "multipliers": per,
                                              "flat": flat[:4], "params": sum(map(len, held)),
                                              "lr": float(g.get("lr", 0.0))})
            elif self.multipliers:
                per = {s: self.multipliers[min(s, len(self.multipliers) - 1)] for s in stages}
                mults = set(per.values())
                exp = mults.pop() if len(mults) == 1 else None
                if exp is None and stages:
                    flat = [n for n, h in zip(names, held) if len(h) > 1]
                    self.mixed_groups.append({"group": i, "stages": sorted(per), "multipliers": per,
                                              "flat": flat[:4], "params": sum(map(len, held)),
                                              "lr": float(g.get("lr", 0.0))})
            views.append(GroupView(i, names, stages, exp, float(g.get("weight_decay", 0.0) or 0.0),
                                   held, shapes))
        return views

    def decayed_exempt(self) -> list[tuple[str, str, float]]:
        """(name, reason, weight_decay) for parameters that decay but should not."""
        out = []
        for view, g in zip(self.groups, self.optimizer.param_groups):
            if view.weight_decay <= 0:
                continue
            for held, shapes, p in zip(view.held, view.shapes, g["params"]):
                for name, shape in zip(held, shapes):
                    # a flat parameter is 1-D; judge each original tensor by its own shape
                    t = p if shape is None else torch.empty(shape, device="meta")
                    why = no_decay_reason(name, t)
                    if why is not None:
                        out.append((name, why, view.weight_decay))
        return out

    def decayed_names(self) -> list[str]:
        return [n for v in self.groups if v.weight_decay > 0 for h in v.held for n in h]

    # -- hooks -----------------------------------------------------------------------------
    def attach(self, step_hooks: bool = True) -> "Monitor":
        """Register the hooks. ``step_hooks=False``: the caller drives :meth:`before_step` and
        :meth:`after_step` itself (``watch`` does, from torch's global optimizer hooks)."""
        if self.snapshot:
            for g in self.optimizer.param_groups:
                for p in g["params"]:
                    mine = local(p.detach())
                    self._initial[id(p)] = mine.clone()
                    self._touched[id(p)] = torch.zeros_like(mine, dtype=torch.bool)
        if step_hooks:
            self._handles.append(self.optimizer.register_step_pre_hook(self._pre_step))
            self._handles.append(self.optimizer.register_step_post_hook(self._post_step))
        self._handles.append(self.model.register_forward_pre_hook(self._count_forward))
        if self._wrapped:
            self._handles.append(self.model.register_forward_hook(self._arm_output_hook))
        else:
            for g in self.optimizer.param_groups:
                for p in g["params"]:
                    if p.requires_grad:
                        self._handles.append(p.register_hook(self._grad_hook))
        self._cycle_open = False
        self._armed = False
        return self

    def detach(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def _count_forward(self, module, args) -> None:
        if torch.is_grad_enabled():
            self._forwards += 1

    def loss_seen(self, loss: torch.Tensor) -> None:
        """One micro-batch's loss (a detached scalar), judged at the optimizer step."""
        if len(self._losses) < 4096:
            self._losses.append(loss)

    def scheduler_stepped(self) -> None:
        """One ``LRScheduler.step()`` call (counted against the optimizer step it precedes)."""
        self._scheduler_calls += 1

    def _arm_output_hook(self, module, args, output) -> None:
        """Wrapped models: the first forward after a step puts a hook on its output's gradient,
        which autograd computes before any parameter gradient of that backward."""
        if self._cycle_open or self._armed:
            return
        from ..dryrun.train import _tensors

        out = next((t for t in _tensors(output) if t.requires_grad), None)
        if out is not None:
            self._armed = True
            out.register_hook(self._grad_hook)

    def _grad_hook(self, grad: torch.Tensor) -> None:
        if self._cycle_open:
            return
        self._cycle_open = True  # the first backward of a new accumulation cycle
        if not self.sampled():
            return
        dirty = []
        for g in self.optimizer.param_groups:
            for p in g["params"]:
                grad_ = local(p.grad)
                if grad_ is not None and bool((grad_ != 0).any()):
                    dirty.append(self._names.get(id(p), "?"))
        if dirty:
            self.dirty_cycles.append({"step": self.steps, "params": dirty[:5], "count": len(dirty)})

    def before_step(self) -> None:
        self._pre_step(self.optimizer, (), {})

    def after_step(self) -> None:
        self._post_step(self.optimizer, (), {})

    def sampled(self) -> bool:
        """Whether this optimizer step gets the tensor checks."""
        return self.every <= 1 or self.steps % self.every == 0

    def _pre_step(self, optimizer, args, kwargs) -> None:
        lrs = [float(g["lr"]) for g in optimizer.param_groups]
        self.lr_log.append(lrs)
        self._check_lrs(lrs)
        if not self.sampled():
            return
        bad = []
        for g in optimizer.param_groups:
            for p in g["params"]:
                grad = local(p.grad)
                if grad is None:
                    continue
                if not bool(torch.isfinite(grad).all()):
                    bad.append(self._names.get(id(p), "?"))
                elif id(p) in self._touched:
                    self._touched[id(p)] |= grad != 0
        if bad:
            self.nonfinite_grads.append({"step": self.steps, "params": bad[:8], "count": len(bad)})

    def _post_step(self, optimizer, args, kwargs) -> None:
        bad = [self._names.get(id(p), "?") for g in optimizer.param_groups for p in g["params"]
               if self.sampled() and not bool(torch.isfinite(local(p.detach())).all())]
        if bad:
            self.nonfinite_params.append({"step": self.steps, "params": bad[:8], "count": len(bad)})
        self.steps += 1
        if self._initial and self.lr_log and self.steps == self._snapshot_step + 1 and \
                all(lr == 0 for lr in self.lr_log[-1]):
            # a step at LR 0 (warmup's first) changes nothing by design: count from the next one
            self._snapshot_step = self.steps
            for g in optimizer.param_groups:
                for p in g["params"]:
                    if id(p) in self._initial:
                        self._initial[id(p)].copy_(local(p.detach()))
                        self._touched[id(p)].zero_()
        self._cycle_open = False
        self._armed = False
        if self._losses:
            values = torch.stack([x.float().reshape(()) for x in self._losses])
            finite = torch.isfinite(values)
            self.loss_log.append(float(values.sum()))
            bad = int((~finite).sum())
            if bad:
                self.nonfinite_losses.append({"step": self.steps - 1, "count": bad, "params": [],
                                              "micro_batches": len(self._losses)})
            self._losses = []
        self.forwards_per_step.append(self._forwards)
        self._forwards = 0
        if self.scheduler_watched:
            # calls since the previous step; a scheduler stepped right after this step is counted
            # with the next one, so the record is "scheduler steps between two optimizer steps"
            self.scheduler_per_step.append(self._scheduler_calls)
            self._scheduler_calls = 0

    def _check_lrs(self, lrs: list[float]) -> None:
        if not self.multipliers and not self.tagged:
            return
        t = self.steps
        if self.lr_at is not None:  # absolute: lr == base x multiplier x schedule(t)
            base = self.lr_at(t)
            for view, lr in zip(self.groups, lrs):
                if view.expected_multiplier is None:
                    continue
                want = base * view.expected_multiplier
                if not math.isclose(lr, want, rel_tol=self.rel_tol, abs_tol=1e-15):
                    self.lr_violations.append(self._violation(t, view, lr, want, "schedule"))
            return
        if self.tagged:
            self._check_ratios(t, lrs)
            return
        self._check_ratios(t, lrs)

    def _check_ratios(self, t: int, lrs: list[float]) -> None:
        """Ratios only: lr_g / lr_ref == m_g / m_ref (the base LR and schedule unknown)."""
        ref = next((v for v in self.groups if v.expected_multiplier and 0 in v.stages), None)
        ref = ref or next((v for v in self.groups if v.expected_multiplier), None)
        if ref is None or lrs[ref.index] == 0:
            return
        for view, lr in zip(self.groups, lrs):  # ratios only: lr_g / lr_ref == m_g / m_ref
            if view.expected_multiplier is None or view is ref:
                continue
            want = lrs[ref.index] * view.expected_multiplier / ref.expected_multiplier
            if not math.isclose(lr, want, rel_tol=self.rel_tol, abs_tol=1e-15):
                v = self._violation(t, view, lr, want, "ratio")
                v["reference"] = {"group": ref.index, "lr": lrs[ref.index],
                                  "multiplier": ref.expected_multiplier}
                self.lr_violations.append(v)

    def _violation(self, t: int, view: GroupView, lr: float, want: float, mode: str) -> dict:
        stage = max(set(view.stages), key=view.stages.count)
        return {"step": t, "group": view.index, "stage": stage, "lr": lr, "expected_lr": want,
                "expected_multiplier": view.expected_multiplier, "mode": mode}

    # -- results ---------------------------------------------------------------------------
    def unchanged_fractions(self) -> list[dict]:
        """Per group: fraction of gradient-receiving elements never changed since attach."""
        out = []
        for view, g in zip(self.groups, self.optimizer.param_groups):
            same = total = 0
            worst: list[tuple[float, str]] = []
            for name, p in zip(view.names, g["params"]):
                if id(p) not in self._initial:
                    continue
                touched = self._touched[id(p)]
                n = int(touched.sum())
                if n == 0:
                    continue
                # compared in the stored dtype: NaN counts as changed, never as frozen
                k = int(((local(p.detach()) == self._initial[id(p)]) & touched).sum())
                same += k
                total += n
                worst.append((k / n, name))
            worst.sort(reverse=True)
            out.append({"group": view.index, "stages": sorted(set(view.stages)),
                        "lr": float(g["lr"]), "fraction": same / total if total else 0.0,
                        "elements": total, "unchanged": same, "steps": self.steps - self._snapshot_step,
                        "worst": [f"{n} ({f:.0%})" for f, n in worst[:4]]})
        return out

    def observation(self, unchanged: Optional[list[dict]] = None) -> dict:
        """Everything the checks need, as plain JSON-ready data (one rank's view)."""
        return {
            "steps": self.steps,
            "groups": [{"index": v.index, "stages": sorted(set(v.stages)), "weight_decay": v.weight_decay,
                        "expected_multiplier": v.expected_multiplier, "tensors": len(v.names)}
                       for v in self.groups],
            "multipliers": list(self.multipliers) if self.multipliers else None,
            "tagged": self.tagged,
            "lr_log": [list(x) for x in self.lr_log],
            "lr_violations": list(self.lr_violations),
            "mixed_groups": list(self.mixed_groups),
            "dirty_cycles": list(self.dirty_cycles),
            "nonfinite_grads": list(self.nonfinite_grads),
            "nonfinite_params": list(self.nonfinite_params),
            "nonfinite_losses": list(self.nonfinite_losses),
            "loss_log": list(self.loss_log),
            "decayed_exempt": [list(x) for x in self.decayed_exempt()],
            "unchanged": list(unchanged or []),
            "forwards_per_step": list(self.forwards_per_step),
            "scheduler_per_step": list(self.scheduler_per_step) if self.scheduler_watched else None,
        }
