"""Bring your own trainer: the dry-run's exact checks on *your* model and optimizer.

>>> import hnet_lint
>>> result = hnet_lint.inspect(model, optimizer, config="run.yaml", step_fn=train_one_step)  # doctest: +SKIP
>>> print(result.format())                                                                    # doctest: +SKIP

Checks without stepping: per-group LR ratios vs the configured ``lr_multiplier`` (catches a plain
``torch.optim.AdamW(group_params(model))``, which ignores the ``lr_multiplier`` key), weight decay
on parameters that should not decay, parameter dtypes. With ``step_fn(i)`` (one optimizer step of
your loop, accumulation included) run ``steps`` times: LR ratios at every step, gradients zero at
the start of each accumulation cycle, NaN/Inf, fraction of elements left unchanged per group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import torch
import torch.nn as nn

from ..diagnostics import Diagnostic, Severity
from .codes import finding
from .monitor import Monitor
from .smoke import monitor_findings

__all__ = ["inspect", "InspectResult"]


@dataclass
class InspectResult:
    """Findings plus the raw records (per-group LRs per step, unchanged fractions)."""

    findings: list[Diagnostic] = field(default_factory=list)
    lr_log: list[list[float]] = field(default_factory=list)
    unchanged: list[dict] = field(default_factory=list)
    decayed: list[str] = field(default_factory=list)
    steps: int = 0

    @property
    def ok(self) -> bool:
        return not any(f.severity >= Severity.WARNING for f in self.findings)

    def codes(self) -> list[str]:
        return sorted({f.code for f in self.findings})

    def format(self) -> str:
        if not self.findings:
            return f"hnet-lint inspect: no problem found ({self.steps} steps observed)"
        return "\n".join(f"{f.code} {f.severity.label:<7} [{f.key or '-'}] {f.message}" for f in self.findings)


def _resolve_config(config: Any) -> tuple[Any, dict[str, Any]]:
    """(RunConfig or None, plain dict with lr_multiplier / weight_decay / param_dtype)."""
    if config is None:
        return None, {}
    if isinstance(config, dict):
        return None, dict(config)
    if isinstance(config, str):
        from ..api import lint_paths

        report = lint_paths([config])
        if not report.runs:
            raise ValueError(f"{config}: not a lintable H-Net run config")
        config = next(iter(report.runs.values()))
    opt, tr = config.optimizer, config.training
    plain = {"lr_multiplier": opt.lr_multiplier if opt else None,
             "weight_decay": opt.weight_decay if opt else None,
             "param_dtype": tr.param_dtype if tr else None}
    return config, plain


def inspect(model: nn.Module, optimizer: torch.optim.Optimizer, config: Any = None,
            step_fn: Optional[Callable[[int], Any]] = None, steps: int = 4,
            options: Optional[dict] = None) -> InspectResult:
    """Run the exact dry-run checks on your objects; see the module docstring.

    ``config``: a run-config path, a linted ``RunConfig``, or a dict such as
    ``{"lr_multiplier": [3.0, 1.7, 0.9]}``. Findings are anchored to the config keys when a
    file is given.
    """
    run, plain = _resolve_config(config)
    mults = plain.get("lr_multiplier")
    S = getattr(getattr(model, "config", None), "num_stages", None)
    if S is None:
        S = len(mults) - 1 if mults else 0
    mon = Monitor(model, optimizer, list(mults) if mults else None, S, lr_at=None)
    res = InspectResult(decayed=mon.decayed_names())
    file = "<inspect>"
    # Static: dtypes of the parameters the optimizer will update.
    low = [(n, str(p.dtype).replace("torch.", "")) for v, g in zip(mon.groups, optimizer.param_groups)
           for n, p in zip(v.names, g["params"]) if p.requires_grad and p.dtype in (torch.bfloat16, torch.float16)]
    if low:
        res.findings.append(finding(
            run, "HNL812", ("training", "param_dtype"), file=file, phase="build",
            message=(f"{len(low)} trainable parameters are stored in {low[0][1]} (e.g. "
                     f"{', '.join(n for n, _ in low[:3])}); AdamW updates below half a bf16 spacing "
                     "round away"),
            data={"measured": len(low), "threshold": 0, "params": [n for n, _ in low[:20]]}))
    mon._check_lrs([float(g["lr"]) for g in optimizer.param_groups])  # before any step
    if step_fn is not None:
        mon.attach()
        try:
            for i in range(steps):
                step_fn(i)
        finally:
            mon.detach()
        res.unchanged = mon.unchanged_fractions()
    res.lr_log = mon.lr_log
    res.steps = mon.steps
    res.findings += monitor_findings(mon, run, options or {}, phase="smoke", file=file,
                                     unchanged=res.unchanged)
    return res
