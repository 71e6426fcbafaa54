"""What torch's public hooks do not show, seen through the functions every trainer calls.

Optimizer steps and module calls have global hooks; three things a trainer does do not:

* ``LRScheduler.step()``: every scheduler (LambdaLR, CosineAnnealingLR, OneCycleLR,
  SequentialLR, ReduceLROnPlateau in torch >= 2.2) inherits it, so wrapping the base class's
  method counts every scheduler step and where it was called from.
* ``clip_grad_norm_``: torch >= 2.6 computes the norm and then calls the module-level
  ``clip_grad._clip_grads_with_norm_(parameters, max_norm, total_norm)``, looked up at every
  call; wrapping that name sees the pre-clip norm and the threshold even when the trainer bound
  ``clip_grad_norm_`` itself with ``from torch.nn.utils import clip_grad_norm_``.
* ``zero_grad``: the call site tells the user where to move it.

Each patch is a context manager that restores the original on exit, so ``inspect`` holds them
for its ``step_fn`` only and ``watch`` for the whole process. Call sites are the first frame
outside torch, hnet_lint and the standard library: the line in the user's trainer.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, Callable, Iterator, Optional

__all__ = ["call_site", "scheduler_steps_counted", "clipping_watched", "zero_grad_sites", "losses_seen"]

_SKIP = tuple(os.path.dirname(m.__file__) + os.sep for m in (contextlib, os) if getattr(m, "__file__", None))


def _skipped(filename: str) -> bool:
    norm = filename.replace("\\", "/")
    return ("/torch/" in norm or "/hnet_lint/observe/" in norm or "/hnet_lint/watch/" in norm
            or norm.startswith("<frozen") or filename.startswith(_SKIP))


def call_site(depth: int = 2) -> Optional[str]:
    """``"train.py:42"``: the innermost frame of the user's code that led here (None if none)."""
    frame = sys._getframe(depth)
    while frame is not None:
        name = frame.f_code.co_filename
        if not _skipped(name):
            try:
                shown = os.path.relpath(name)
            except ValueError:  # another drive on Windows
                shown = name
            if shown.startswith(".." + os.sep + ".."):
                shown = name
            return f"{shown}:{frame.f_lineno}"
        frame = frame.f_back
    return None


@contextlib.contextmanager
def scheduler_steps_counted(on_step: Callable[[Any, Optional[str]], None]) -> Iterator[bool]:
    """While active, every ``LRScheduler.step()`` calls ``on_step(scheduler, site)`` first.
    Yields False when this torch has no ``LRScheduler`` base (nothing is counted then)."""
    try:
        from torch.optim.lr_scheduler import LRScheduler
    except ImportError:
        yield False
        return
    original = LRScheduler.step
    depth = [0]

    def step(self, *args, **kwargs):
        # SequentialLR and ChainedScheduler step their children from their own step(): only
        # the outermost call is the user's
        if depth[0] == 0:
            try:
                # the constructor's own first step() comes through _initial_step: counted, but
                # its site is the construction line, not a step() the user wrote
                initial = sys._getframe(1).f_code.co_name == "_initial_step"
                on_step(self, None if initial else call_site())
            except Exception:  # noqa: BLE001 - observing must never break the trainer
                pass
        depth[0] += 1
        try:
            return original(self, *args, **kwargs)
        finally:
            depth[0] -= 1

    LRScheduler.step = step
    try:
        yield True
    finally:
        LRScheduler.step = original


@contextlib.contextmanager
def clipping_watched(on_clip: Callable[[Any, float, Any, Optional[str]], None]) -> Iterator[bool]:
    """While active, every ``clip_grad_norm_`` calls ``on_clip(parameters, max_norm, total_norm,
    site)`` before it scales the gradients. Yields False when this torch computes the clipping
    another way (older than 2.6): clipping is then not watched, and callers say so."""
    try:
        from torch.nn.utils import clip_grad
        original = clip_grad._clip_grads_with_norm_
    except (ImportError, AttributeError):
        yield False
        return

    def watched(parameters, max_norm, total_norm, foreach=None):
        if not isinstance(parameters, (list, tuple)):
            parameters = list(parameters) if not hasattr(parameters, "grad") else [parameters]
        on_clip(parameters, max_norm, total_norm, call_site())
        return original(parameters, max_norm, total_norm, foreach)

    clip_grad._clip_grads_with_norm_ = watched
    try:
        yield True
    finally:
        clip_grad._clip_grads_with_norm_ = original


@contextlib.contextmanager
def zero_grad_sites(on_zero: Callable[[Any, Optional[str]], None]) -> Iterator[None]:
    """While active, ``Optimizer.zero_grad`` and ``Module.zero_grad`` report where they were
    called (``on_zero(owner, site)``)."""
    import torch

    originals = (torch.optim.Optimizer.zero_grad, torch.nn.Module.zero_grad)

    def for_optimizer(self, *args, **kwargs):
        on_zero(self, call_site())
        return originals[0](self, *args, **kwargs)

    def for_module(self, *args, **kwargs):
        on_zero(self, call_site())
        return originals[1](self, *args, **kwargs)

    torch.optim.Optimizer.zero_grad, torch.nn.Module.zero_grad = for_optimizer, for_module
    try:
        yield
    finally:
        torch.optim.Optimizer.zero_grad, torch.nn.Module.zero_grad = originals


@contextlib.contextmanager
def losses_seen(on_loss: Callable[[Any], None]) -> Iterator[None]:
    """While active, every scalar ``Tensor.backward()`` (a loss) calls ``on_loss(tensor)``
    first: the value is kept as a tensor, so nothing waits for the device here."""
    import torch

    original = torch.Tensor.backward

    def backward(tensor, *args, **kwargs):
        if tensor.numel() == 1:
            try:
                on_loss(tensor.detach())
            except Exception:  # noqa: BLE001 - observing must never break the trainer
                pass
        return original(tensor, *args, **kwargs)

    torch.Tensor.backward = backward
    try:
        yield
    finally:
        torch.Tensor.backward = original
