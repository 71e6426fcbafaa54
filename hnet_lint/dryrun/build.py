"""Phase 1, build: the model and the optimizer exactly as the config describes them.

* Model: ``HNetForCausalLM`` from the official dict, ``init_weights(0.02)`` (upstream does not
  call it in the constructor; trainers must), on CPU always the width-reduced proxy
  (proxy.py), on CUDA full scale when the analytic memory estimate fits, else the proxy.
* dtype policy: ``param_dtype: bfloat16`` builds the model in bf16 (AdamW moments follow), which
  must reproduce the frozen-update mistake; ``autocast_dtype`` wraps forward/loss in autocast.
* Optimizer: AdamW with one group per (stage multiplier, decay) pair, ``lr = base x multiplier``,
  decay exemptions for biases, 1-D gains, ``A_log``/``dt_bias``/``D``, ``pad_dimension``
  (``group_params_corrected``); ``param_groups: official`` reproduces upstream's gaps instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import torch
import torch.nn as nn

from ..model import HNetConfig, HNetForCausalLM
from ..model.backends import apply_backends
from ..model.training import group_params_corrected, group_params_official
from ..modelinfo import build_model_info, default_target_ratios
from ..observe.monitor import stage_of_name
from .decide import DEFAULT_PROBE_SEEDS
from .proxy import ProxyPlan, proxy_config
from .schedule import lr_factor, schedule_dict

__all__ = ["DryRunOptions", "TrainSpec", "TrainSetup", "spec_from_run", "build_setup", "DTYPES"]

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16, None: None}


@dataclass
class DryRunOptions:
    """Knobs of the dry-run (CLI flags map 1:1)."""

    device: str = "auto"  # auto | cpu | cuda
    proxy: Optional[bool] = None  # None: CPU -> proxy, CUDA -> full if it fits
    proxy_width: int = 64
    smoke_steps: int = 10
    probe_steps: Optional[int] = None  # None: 100 (40 warmup + 60 at peak)
    probe_seeds: int = DEFAULT_PROBE_SEEDS  # 1x/0.5x pairs, one per seed (init and data order)
    probe_multiples: tuple[float, ...] = (1.0, 0.5)  # add 2.0 for a margin run (first seed only)
    seed: Optional[int] = None
    time_budget: Optional[float] = None  # safety stop in seconds (CPU default 900); never shapes the plan
    data: Optional[str] = None
    cpu_batch_size: int = 1  # CPU cost is per-layer overhead: a 45-layer proxy takes ~0.1 s/micro-step
    cpu_seq_len: int = 128
    cpu_autocast: bool = False  # bf16 autocast on CPU is 1.6x slower than fp32 and checks nothing extra
    probe_accum: Optional[int] = 1  # micro-steps per probe step on the proxy; None = configured
    param_groups: str = "corrected"  # corrected | official
    measure_every: int = 5  # attention logits / Mamba ranges are measured every k probe steps
    phases: tuple[str, ...] = ("build", "smoke", "probe")
    checkpoint: Optional[str] = None  # state_dict to start from (full scale only: proxy shapes differ)
    options: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-code threshold overrides


@dataclass
class TrainSpec:
    """What the config says about training, with the defaults we had to assume."""

    model: dict[str, Any]
    num_stages: int
    lr: float
    multipliers: list[float]
    betas: tuple[float, float]
    eps: float
    weight_decay: float
    schedule: dict[str, Any]
    batch_size: int
    grad_accum: int
    seq_len: int
    grad_clip: float
    param_dtype: str
    autocast_dtype: Optional[str]
    seed: int
    target_ratios: list[float]
    ratio_loss_weight: float
    assumed: list[str] = field(default_factory=list)

    def lr_at(self, step: int) -> float:
        """Base LR x schedule(t) (the multiplier is per group)."""
        return self.lr * lr_factor(step, self.schedule, self.lr)

    def peak_lrs(self) -> list[float]:
        return [self.lr * m for m in self.multipliers]


def _or(value: Any, default: Any, what: str, assumed: list[str]) -> Any:
    if value is None:
        assumed.append(f"{what}={default}")
        return default
    return value


def spec_from_run(run: Any) -> TrainSpec:
    """Read a normalized RunConfig; every default we assume is listed in ``assumed``."""
    assumed: list[str] = []
    model = run.model.model_dump()
    S = HNetConfig.from_dict(model).num_stages
    opt, tr, rt = run.optimizer, run.training, run.routing
    lr = _or(opt.lr if opt else None, 3e-4, "lr", assumed)
    mults = _or(opt.lr_multiplier if opt else None, [1.0] * (S + 1), "lr_multiplier", assumed)
    betas = tuple(_or(opt.betas if opt else None, [0.9, 0.999], "betas", assumed))
    return TrainSpec(
        model=model, num_stages=S, lr=float(lr), multipliers=[float(m) for m in mults],
        betas=(float(betas[0]), float(betas[1])),
        eps=float(_or(opt.eps if opt else None, 1e-8, "eps", assumed)),
        weight_decay=float(_or(opt.weight_decay if opt else None, 0.01, "weight_decay", assumed)),
        schedule=schedule_dict(run.schedule),
        batch_size=int(_or(tr.batch_size if tr else None, 8, "batch_size", assumed)),
        grad_accum=int(_or(tr.grad_accum_steps if tr else None, 1, "grad_accum_steps", assumed)),
        seq_len=int(_or(tr.seq_len if tr else None, 2048, "seq_len", assumed)),
        grad_clip=float(_or(tr.grad_clip if tr else None, 0.0, "grad_clip", assumed)),
        param_dtype=(tr.param_dtype if tr else None) or "float32",
        autocast_dtype=tr.autocast_dtype if tr else None,
        seed=int(_or(tr.seed if tr else None, 0, "seed", assumed)),
        target_ratios=[float(x) for x in _or(rt.target_ratio if rt else None,
                                              default_target_ratios(S), "target_ratio", assumed)],
        ratio_loss_weight=float(_or(rt.ratio_loss_weight if rt else None, 0.03,
                                    "ratio_loss_weight", assumed)),
        assumed=assumed,
    )


@dataclass
class TrainSetup:
    """A built model + optimizer + everything the phases need."""

    spec: TrainSpec
    model: HNetForCausalLM
    optimizer: torch.optim.Optimizer
    device: torch.device
    scale: str  # "full" | "proxy"
    proxy: Optional[ProxyPlan]
    micro_batch: int
    seq_len: int
    grad_accum: int
    autocast: Optional[torch.dtype]
    param_count: int
    memory_bytes: int
    full_memory_bytes: int
    backends: dict[str, Any]
    decayed: list[str]
    notes: list[str] = field(default_factory=list)
    data_rank: int = 0  # under --nproc: this rank trains batches rank, rank + world, ...
    data_world: int = 1

    @property
    def stage_of(self) -> dict[str, int]:
        return {n: stage_of_name(n, self.spec.num_stages) for n, _ in self.model.named_parameters()}


def _memory(model: dict, spec: TrainSpec, batch: int, seq: int) -> int:
    info = build_model_info(model, target_ratios=spec.target_ratios, seq_len=seq, batch_size=batch,
                            param_dtype=spec.param_dtype, autocast_dtype=spec.autocast_dtype)
    return int(info.memory.total_bytes)


class TooLargeToBuild(MemoryError):
    """The model the dry-run would build does not fit this machine (raised before building)."""


def available_bytes(device: torch.device) -> Optional[int]:
    """Memory a build may use on ``device``: free GPU memory, or on Linux the kernel's
    ``MemAvailable``; None where neither can be read (then nothing is refused)."""
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _refuse_if_too_large(need: int, device: torch.device, what: str) -> None:
    """Refuse a build whose estimate exceeds 90% of what the machine has: allocating it would
    end in an out-of-memory kill (no report at all) rather than a finding."""
    have = available_bytes(device)
    if have is not None and need > 0.9 * have:
        raise TooLargeToBuild(
            f"the {what} needs about {need / 2**30:,.1f} GiB (parameters, gradients, AdamW "
            f"state and activations) and "
            + ("the GPU has" if device.type == "cuda" else "this machine has")
            + f" {have / 2**30:,.1f} GiB available; nothing was built")


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda asked for, but torch.cuda.is_available() is False")
    return torch.device(name)


def make_optimizer(model: nn.Module, spec: TrainSpec, grouping: str = "corrected",
                   lr_scale: float = 1.0) -> tuple[torch.optim.Optimizer, list[str]]:
    """AdamW with per-stage groups; returns it and the names of decayed parameters."""
    model.apply_lr_multiplier(spec.multipliers)
    if grouping == "official":
        groups = group_params_official(model, with_names=True)
        for g in groups:  # a correct trainer folds the multiplier into lr (upstream's doc intent)
            g["lr"] = spec.lr * lr_scale * g["lr_multiplier"]
    else:
        groups = group_params_corrected(model, base_lr=spec.lr * lr_scale,
                                        weight_decay=spec.weight_decay, with_names=True)
        for g in groups:
            g["lr"] = spec.lr * lr_scale * g["lr_multiplier"]
    decayed = []
    for g in groups:
        names = g.pop("names")
        if g.get("weight_decay", spec.weight_decay) > 0:
            decayed.extend(names)
    # fp32 parameters: the fused kernel (3x faster than the per-tensor loop on CPU, same update up
    # to rounding). Low-precision storage keeps the plain loop, which does the moment and update
    # arithmetic in the parameters' dtype as a default AdamW does: that rounding is what HNL803 checks.
    fp32 = all(p.dtype == torch.float32 for g in groups for p in g["params"])
    opt = torch.optim.AdamW(groups, lr=spec.lr * lr_scale, betas=spec.betas, eps=spec.eps,
                            weight_decay=spec.weight_decay, **({"fused": True} if fp32 else {"foreach": False}))
    return opt, decayed


def build_model(model_cfg: dict, spec: TrainSpec, device: torch.device) -> HNetForCausalLM:
    """Seeded build and upstream init; params in ``param_dtype`` (bf16 reproduces the mistake)."""
    torch.manual_seed(spec.seed)
    cfg = HNetConfig.from_dict(model_cfg)
    model = HNetForCausalLM(cfg, device=device, dtype=DTYPES[spec.param_dtype])
    model.init_weights(0.02)
    return model


def build_setup(spec: TrainSpec, opts: DryRunOptions, lr_scale: float = 1.0,
                device: Optional[torch.device] = None, scale: Optional[str] = None) -> TrainSetup:
    """Build at full scale or as a proxy (see module docstring); raises on a bad config."""
    device = device or resolve_device(opts.device)
    notes: list[str] = []
    full_mem = _memory(spec.model, spec, spec.batch_size, spec.seq_len)
    if scale is None:
        if opts.proxy is not None:
            scale = "proxy" if opts.proxy else "full"
        elif device.type == "cpu":
            scale = "proxy"
        else:
            free, _total = torch.cuda.mem_get_info(device)
            scale = "full" if full_mem < 0.9 * free else "proxy"
    plan = proxy_config(spec.model, opts.proxy_width) if scale == "proxy" else None
    model_cfg = plan.config if plan else spec.model
    if plan:
        notes.append(plan.note)
    batch, seq, accum = spec.batch_size, spec.seq_len, spec.grad_accum
    if device.type == "cpu":
        batch, seq = min(batch, opts.cpu_batch_size), min(seq, opts.cpu_seq_len)
        if (batch, seq) != (spec.batch_size, spec.seq_len):
            notes.append(f"CPU micro-batch {batch}x{seq} bytes (configured {spec.batch_size}x"
                         f"{spec.seq_len}); grad accumulation {accum} kept in the smoke phase")
    memory = _memory(model_cfg, spec, batch, seq)
    _refuse_if_too_large(memory, device, f"{scale}-scale model at micro-batch {batch}x{seq}")
    model = build_model(model_cfg, spec, device)
    if opts.checkpoint:
        if plan is not None:
            notes.append("--from-checkpoint ignored: the proxy's shapes differ from the checkpoint's "
                         "(use --full-scale)")
        else:
            state = torch.load(opts.checkpoint, map_location=device, weights_only=True)
            state = state.get("model", state) if isinstance(state, dict) else state
            missing, unexpected = model.load_state_dict(state, strict=False)
            notes.append(f"weights loaded from {opts.checkpoint} ({len(missing)} missing, "
                         f"{len(unexpected)} unexpected keys)")
    backends = apply_backends(model, device).to_dict()
    optimizer, decayed = make_optimizer(model, spec, opts.param_groups, lr_scale)
    autocast = DTYPES[spec.autocast_dtype] if spec.autocast_dtype else None
    if device.type == "cpu" and autocast == torch.bfloat16 and not opts.cpu_autocast:
        # bf16 autocast has fp32's exponent range, so it adds no overflow to find, and on CPU it is
        # 1.6x slower. Parameter *storage* (HNL803) is unaffected: that follows param_dtype.
        autocast = None
        notes.append("CPU: bf16 autocast replaced by fp32 compute (same exponent range; parameters "
                     f"keep their configured {spec.param_dtype} storage)")
    return TrainSetup(
        spec=spec, model=model, optimizer=optimizer, device=device, scale=scale, proxy=plan,
        micro_batch=batch, seq_len=seq, grad_accum=accum,
        autocast=autocast,
        param_count=sum(p.numel() for p in model.parameters()),
        memory_bytes=memory, full_memory_bytes=full_mem,
        backends=backends, decayed=decayed, notes=notes,
    )
