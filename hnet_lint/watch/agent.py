"""Inside one watched process: torch's global hooks feed a Monitor; records go to a file.

Armed by the startup hook (:mod:`hnet_lint.watch.startup`) when ``HNET_LINT_WATCH_DIR`` is set;
installs itself right after the process imports torch, before the trainer builds anything:

* global optimizer-step hooks (``register_optimizer_step_pre_hook`` / ``_post_hook``): the first
  step of an optimizer finds its model (the root module holding its parameters) and attaches a
  :class:`~hnet_lint.observe.monitor.Monitor`, the same observer the dry-run and ``inspect``
  use; every step then records LRs, weight decay, micro-batches, scheduler steps, the pre-clip
  gradient norm, the loss, non-finite values and (under torchrun) digests of the replicated
  parameters and gradients, which the parent compares across ranks without a collective;
* :mod:`hnet_lint.observe.patches` for ``LRScheduler.step``, ``clip_grad_norm_`` and
  ``zero_grad``, plus the construction site of every optimizer and the loss of every
  ``Tensor.backward``.

Records are JSON lines in ``rank{R}-{pid}.jsonl`` (flushed per line) and the Monitor's
observation in ``rank{R}-{pid}.obs.json`` (replaced atomically), so a crash, a kill or a
stuck collective loses at most the step in flight. After ``HNET_LINT_WATCH_STEPS`` optimizer
steps the process ends with ``os._exit(0)``: every rank counts the same steps, so all stop at
the same one without a collective, and nothing of the trainer's own shutdown (a "final"
checkpoint written into the user's outputs on the way out) runs.
"""

from __future__ import annotations

import atexit
import importlib.abc
import importlib.util
import json
import os
import sys
import time
import traceback
from typing import Any, Optional

__all__ = ["arm"]

_agent: Optional["_Agent"] = None


def arm() -> None:
    """Install the checks once torch is imported (at once if it already is)."""
    if "torch" in sys.modules:
        _install()
    elif not any(isinstance(f, _TorchFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _TorchFinder())


class _TorchFinder(importlib.abc.MetaPathFinder):
    """Runs :func:`_install` right after ``import torch`` finished executing."""

    def find_spec(self, name, path, target=None):
        if name != "torch":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec("torch")
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        original = spec.loader.exec_module

        def exec_module(module):
            original(module)
            _install()

        spec.loader.exec_module = exec_module
        return spec


def _install() -> None:
    global _agent
    if _agent is not None:
        return
    try:
        _agent = _Agent()
        _agent.install()
    except Exception as exc:  # noqa: BLE001 - the trainer must run even if the watch cannot
        path = os.path.join(os.environ.get("HNET_LINT_WATCH_DIR", "."), f"unloadable-{os.getpid()}.json")
        try:
            with open(path, "w", encoding="utf-8") as fh:
                json.dump({"pid": os.getpid(), "error": f"{type(exc).__name__}: {exc}",
                           "traceback": traceback.format_exc()}, fh)
        except OSError:
            pass


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


class _Watched:
    """One optimizer and its model, as the Monitor sees them."""

    def __init__(self, agent: "_Agent", optimizer: Any) -> None:
        import torch

        from ..dryrun.distributed import engine_of, is_flat, param_names
        from ..observe.monitor import Monitor

        self.optimizer = optimizer
        self.model = _find_model(optimizer)
        names = param_names(self.model) if self.model is not None else {}
        # each ``main_network.`` goes one stage inward; the innermost stage's Isotropic adds one more
        stages = max(max((n.count("main_network.") for v in names.values() for n in v[1]), default=0) - 1, 0)
        root = self.model if self.model is not None else torch.nn.Module()
        self.monitor = Monitor(root, optimizer, None, stages, snapshot=agent.limit > 0, every=agent.every)
        self.monitor.scheduler_watched = True
        self.monitor.attach(step_hooks=False)
        self.engine = engine_of(self.model) if self.model is not None else "none"
        # replicated tensors, compared across ranks through digests (sharded ones differ by design)
        self.replicated = [(names[id(p)][0], p) for g in optimizer.param_groups for p in g["params"]
                           if id(p) in names and not hasattr(p, "placements") and not is_flat(p)]
        self.site = getattr(optimizer, "_hnet_lint_site", None)
        self.localized: Optional[dict] = None
        self._module_hooks: list = []
        if agent.limit > 0 and self.model is not None:
            self._watch_nonfinite_outputs()
        self.routers = [(n, m) for n, m in self.model.named_modules()
                        if type(m).__name__ in ("RoutingModule",)] if self.model is not None else []
        self.rates: dict[str, float] = {}
        for name, module in self.routers:
            self._module_hooks.append(module.register_forward_hook(self._router_hook(name)))

    def _watch_nonfinite_outputs(self) -> None:
        """The first module whose output is non-finite (in ``--steps`` mode: it costs a check
        per module call)."""
        import torch

        def hook_for(name):
            def hook(module, args, output):
                if self.localized is not None:
                    return
                t = output if isinstance(output, torch.Tensor) else next(
                    (x for x in (output if isinstance(output, (tuple, list)) else []) if isinstance(x, torch.Tensor)),
                    None)
                if t is not None and t.is_floating_point() and not bool(torch.isfinite(t).all()):
                    self.localized = {"module": name or type(module).__name__, "step": self.monitor.steps}
            return hook

        for name, module in self.model.named_modules():
            self._module_hooks.append(module.register_forward_hook(hook_for(name)))

    def _router_hook(self, name: str):
        def hook(module, args, output):
            mask = getattr(output, "boundary_mask", None)
            if mask is not None and self.monitor.sampled():
                self.rates[name] = mask.detach().float().mean()
        return hook


def _find_model(optimizer: Any) -> Any:
    """The outermost module that holds the optimizer's parameters (DDP over the model, the
    model itself otherwise): found once, at the first step, among live objects."""
    import gc

    import torch.nn as nn

    import warnings

    wanted = {id(p) for g in optimizer.param_groups for p in g["params"]}
    with warnings.catch_warnings():  # isinstance() on deprecated torch aliases warns
        warnings.simplefilter("ignore")
        modules = [o for o in gc.get_objects() if isinstance(o, nn.Module)]
    children = {id(c) for m in modules for c in m.children()}
    best, best_key = None, None
    for m in modules:
        if id(m) in children:
            continue
        held = {id(p) for p in m.parameters()}
        cover = len(held & wanted)
        if cover == 0:
            continue
        key = (cover, -len(held))
        if best_key is None or key > best_key:
            best, best_key = m, key
    return best


def _digest(tensors: list) -> list[int]:
    """Bit-exact fingerprints (the integer sum of each tensor's bits): equal on two ranks iff the
    tensors are, in practice; NaN has bits like any value, so identical NaNs agree."""
    import torch

    if not tensors:
        return []
    ints = {2: torch.int16, 4: torch.int32, 8: torch.int64, 1: torch.int8}
    sums = []
    for t in tensors:
        t = t.detach().contiguous().reshape(-1)
        sums.append(t.view(ints[t.element_size()]).sum(dtype=torch.int64) if t.numel() else
                    torch.zeros((), dtype=torch.int64, device=t.device))
    return [int(x) for x in torch.stack(sums).tolist()]


class _Agent:
    def __init__(self) -> None:
        self.dir = os.environ["HNET_LINT_WATCH_DIR"]
        self.limit = _env_int("HNET_LINT_WATCH_STEPS", 0)  # 0: follow the whole run
        self.every = max(1, _env_int("HNET_LINT_WATCH_EVERY", 1))
        self.rank = _env_int("RANK", 0)
        self.world = _env_int("WORLD_SIZE", 1)
        self.base = os.path.join(self.dir, f"rank{self.rank}-{os.getpid()}")
        self.out = open(self.base + ".jsonl", "a", encoding="utf-8", buffering=1)
        self.watched: dict[int, _Watched] = {}
        self.primary: Optional[_Watched] = None
        self.losses: list = []
        self.clips: list = []
        self.sched_sites: list[str] = []
        self.zero_sites: list[str] = []
        self.step_index = 0
        self.done = False
        self._write({"kind": "start", "rank": self.rank, "world": self.world, "pid": os.getpid(),
                     "local_rank": _env_int("LOCAL_RANK", 0), "argv": sys.argv[:8]})

    def _write(self, record: dict) -> None:
        record.setdefault("time", time.time())
        try:
            self.out.write(json.dumps(record, default=float) + "\n")
        except (OSError, ValueError, TypeError):
            pass

    def install(self) -> None:
        import contextlib

        import torch
        from torch.optim.optimizer import (register_optimizer_step_post_hook,
                                           register_optimizer_step_pre_hook)

        from ..observe import patches

        register_optimizer_step_pre_hook(self._pre)
        register_optimizer_step_post_hook(self._post)
        self._stack = contextlib.ExitStack()  # held for the life of the process
        self._stack.enter_context(patches.scheduler_steps_counted(self._scheduler_step))
        self.clip_watched = self._stack.enter_context(patches.clipping_watched(self._clip))
        self._stack.enter_context(patches.zero_grad_sites(self._zero))
        init = torch.optim.Optimizer.__init__

        def remember_site(opt, *args, **kwargs):
            init(opt, *args, **kwargs)
            if not hasattr(opt, "_hnet_lint_site"):
                opt._hnet_lint_site = patches.call_site()
        torch.optim.Optimizer.__init__ = remember_site
        self._stack.enter_context(patches.losses_seen(self._loss))
        previous = sys.excepthook

        def excepthook(kind, value, tb):
            self._write({"kind": "crash", "step": self._steps_done(), "error": f"{kind.__name__}: {value}",
                         "traceback": "".join(traceback.format_exception(kind, value, tb))[-4000:]})
            self._save_observation()
            previous(kind, value, tb)
        sys.excepthook = excepthook
        atexit.register(self._at_exit)

    # -- what the trainer's calls report -------------------------------------------------------
    def _steps_done(self) -> int:
        return self.primary.monitor.steps if self.primary is not None else 0

    def _scheduler_step(self, scheduler: Any, site: Optional[str]) -> None:
        w = self.watched.get(id(getattr(scheduler, "optimizer", None)))
        if w is not None:
            w.monitor.scheduler_stepped()
        if site and site not in self.sched_sites:
            self.sched_sites.append(site)

    def _loss(self, loss: Any) -> None:
        if self.primary is not None:
            self.primary.monitor.loss_seen(loss)
        elif len(self.losses) < 4096:
            self.losses.append(loss)  # before the first step: handed to the monitor at attach

    def _zero(self, owner: Any, site: Optional[str]) -> None:
        if site and site not in self.zero_sites:
            self.zero_sites.append(site)

    def _clip(self, parameters: list, max_norm: float, total_norm: Any, site: Optional[str]) -> None:
        entry: dict[str, Any] = {"max_norm": float(max_norm), "norm": total_norm, "site": site}
        w = self.primary
        if w is not None and self.world > 1 and w.monitor.sampled() and w.replicated:
            entry["digest"] = _digest([p.grad if p.grad is not None else p.new_zeros(()) for _, p in w.replicated])
        self.clips.append(entry)

    # -- the optimizer's steps -----------------------------------------------------------------
    def _pre(self, optimizer: Any, args, kwargs) -> None:
        if self.done:
            return
        w = self.watched.get(id(optimizer))
        if w is None:
            w = self.watched[id(optimizer)] = _Watched(self, optimizer)
            if self.primary is None:
                self.primary = w
                for loss in self.losses:
                    w.monitor.loss_seen(loss)
                self.losses.clear()
                self._write_attach(w)
        w.monitor.before_step()
        if w is self.primary and self.world > 1 and w.replicated and w.monitor.sampled():
            w.grad_digest = _digest([p.grad if p.grad is not None else p.new_zeros(()) for _, p in w.replicated])
        else:
            w.grad_digest = None

    def _write_attach(self, w: _Watched) -> None:
        import torch

        groups = []
        for view, g in zip(w.monitor.groups, w.optimizer.param_groups):
            groups.append({"index": view.index, "stages": sorted(set(view.stages)), "tensors": len(view.names),
                           "weight_decay": view.weight_decay, "expected_multiplier": view.expected_multiplier,
                           "names": view.names[:3]})
        low = [n for v, g in zip(w.monitor.groups, w.optimizer.param_groups)
               for n, p in zip(v.names, g["params"])
               if p.requires_grad and p.dtype in (torch.bfloat16, torch.float16)]
        dtype = next((str(p.dtype).replace("torch.", "") for g in w.optimizer.param_groups for p in g["params"]
                      if p.dtype in (torch.bfloat16, torch.float16)), None)
        self._write({"kind": "attach", "optimizer": type(w.optimizer).__name__, "site": w.site,
                     "model": type(w.model).__name__ if w.model is not None else None, "engine": w.engine,
                     "num_stages": w.monitor.num_stages, "groups": groups, "tagged": w.monitor.tagged,
                     "low_precision": {"count": len(low), "dtype": dtype, "params": low[:20]},
                     "replicated": [n for n, _ in w.replicated], "clip_watched": bool(self.clip_watched),
                     "torch": torch.__version__})

    def _post(self, optimizer: Any, args, kwargs) -> None:
        if self.done:
            return
        w = self.watched.get(id(optimizer))
        if w is None:
            return
        w.monitor.after_step()
        if w is not self.primary:
            return
        step = w.monitor.steps - 1
        record: dict[str, Any] = {"kind": "step", "step": step, "lrs": w.monitor.lr_log[-1],
                                  "forwards": w.monitor.forwards_per_step[-1],
                                  "scheduler": w.monitor.scheduler_per_step[-1]}
        if len(w.monitor.loss_log) == w.monitor.steps:
            record["loss"] = w.monitor.loss_log[-1]
        if self.clips:
            c = self.clips[-1]
            norm = c["norm"]
            norm = norm.full_tensor() if hasattr(norm, "full_tensor") else norm
            record.update(grad_norm=float(norm), max_norm=c["max_norm"], clip_calls=len(self.clips),
                          clip_site=c["site"])
            digests = [c["digest"] for c in self.clips if "digest" in c]
            if digests:
                record["clip_digests"] = digests
            self.clips.clear()
        if getattr(w, "grad_digest", None) is not None:
            record["grad_digest"] = w.grad_digest
        if self.world > 1 and w.replicated and w.monitor.sampled():
            record["param_digest"] = _digest([p for _, p in w.replicated])
        if w.rates:
            record["boundary_rates"] = {k: float(v) for k, v in w.rates.items()}
            w.rates.clear()
        if w.localized is not None:
            record["nonfinite_module"] = w.localized
        self._write(record)
        if w.monitor.sampled() or w.monitor.nonfinite_grads:
            self._save_observation()
        if self.limit and w.monitor.steps >= self.limit:
            self._stop()

    def _save_observation(self) -> None:
        w = self.primary
        if w is None:
            return
        try:
            unchanged = w.monitor.unchanged_fractions() if w.monitor.snapshot else []
            obs = w.monitor.observation(unchanged)
            obs.update(sites={"optimizer": w.site, "scheduler": self.sched_sites[0] if self.sched_sites else None,
                              "zero_grad": self.zero_sites[0] if self.zero_sites else None},
                       localized=w.localized, rank=self.rank)
            tmp = self.base + ".obs.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(obs, fh, default=float)
            os.replace(tmp, self.base + ".obs.json")
        except Exception as exc:  # noqa: BLE001 - a failed save is reported, never raised into the trainer
            self._write({"kind": "agent-error", "error": f"{type(exc).__name__}: {exc}"})

    def _stop(self) -> None:
        self.done = True
        self._save_observation()
        self._write({"kind": "exit", "reason": "steps", "step": self._steps_done()})
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        self.out.close()
        os._exit(0)

    def _at_exit(self) -> None:
        if self.done:
            return
        self.done = True
        self._save_observation()
        self._write({"kind": "exit", "reason": "exited", "step": self._steps_done()})
