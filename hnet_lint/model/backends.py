"""Kernel selection: pure-torch reference everywhere, upstream CUDA kernels when importable.

Components and their implementations:

=================  ===========================================  ==============================
component          CUDA kernel (if importable, CUDA tensors)     reference (any device)
=================  ===========================================  ==============================
mamba2.ssd         mamba_ssm ``mamba_chunk_scan_combined``       ``ssd.ssd_scan`` (chunked form)
mamba2.conv1d      causal-conv1d ``causal_conv1d_fn``            ``ssd.causal_conv1d`` + SiLU
attention          flash-attn ``flash_attn_varlen_func``         ``F.scaled_dot_product_attention``
dechunk.ema        mamba_ssm ``mamba_chunk_scan_combined``       ``ssd.ema_scan``
=================  ===========================================  ==============================

mamba-ssm up to 2.3.2.post1 cannot be imported without its compiled ``selective_scan_cuda``
(the package ``__init__`` imports it unconditionally), even though Mamba2 needs only Triton. We
catch that and say so; ``stub_selective_scan=True`` opts in to inserting an empty stand-in module
so the Triton SSD becomes reachable (Mamba-1's scan then fails if anything calls it).

None of the CUDA paths has been executed in this repository's CI (CPU only): the report lists every
component that runs on such a kernel under ``untested`` until a kernel-vs-reference comparison
has been run on a GPU.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .attention import CausalMHA, sdpa_attention
from .dc import DeChunkLayer
from .layers import upcast
from .mamba2 import Mamba2
from .sequence import SeqInfo
from .ssd import causal_conv1d, ema_scan, ssd_scan

__all__ = ["KernelChoice", "BackendReport", "CudaKernels", "select_backends", "apply_backends"]

REFERENCE = "reference (pure torch)"


@dataclass
class KernelChoice:
    """Which implementation runs one component, and why."""

    component: str
    impl: str
    reason: str


@dataclass
class BackendReport:
    """Honest account of the kernels in use. ``runtime_fallbacks`` counts per-call fallbacks."""

    device: str
    torch_version: str
    choices: list[KernelChoice]
    missing: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    untested: list[str] = field(default_factory=list)  # components on CUDA kernels never checked here
    notes: list[str] = field(default_factory=list)
    runtime_fallbacks: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["runtime_fallbacks"] = dict(self.runtime_fallbacks)
        return d

    def format(self) -> str:
        """Plain-text table for logs."""
        lines = [f"device={self.device} torch={self.torch_version}"]
        lines += [f"  {c.component:<14} {c.impl:<45} {c.reason}" for c in self.choices]
        lines += [f"  missing {k}: {v}" for k, v in self.missing.items()]
        lines += [f"  runtime fallback {k}: {v} calls" for k, v in self.runtime_fallbacks.items()]
        lines += [f"  UNTESTED kernel path: {c}" for c in self.untested]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _version(dist: str) -> Optional[str]:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:  # noqa: BLE001 - any metadata problem just means "unknown"
        return None


def _try_import(module: str, attr: str) -> tuple[Optional[Callable], Optional[str]]:
    try:
        return getattr(importlib.import_module(module), attr), None
    except Exception as exc:  # ImportError, OSError from .so loading, Triton errors, ...
        return None, f"{type(exc).__name__}: {exc}"


def _import_mamba_scan(stub_selective_scan: bool, notes: list[str]) -> tuple[Optional[Callable], Optional[str]]:
    fn, err = _try_import("mamba_ssm.ops.triton.ssd_combined", "mamba_chunk_scan_combined")
    if fn is None and err and "selective_scan_cuda" in err:
        err = (
            f"{err} (mamba-ssm <= 2.3.2.post1 imports its compiled Mamba-1 extension from the package "
            "__init__; an install with MAMBA_SKIP_CUDA_BUILD lacks it)"
        )
        if stub_selective_scan and "selective_scan_cuda" not in sys.modules:
            sys.modules["selective_scan_cuda"] = types.ModuleType("selective_scan_cuda")
            for mod in [m for m in sys.modules if m == "mamba_ssm" or m.startswith("mamba_ssm.")]:
                del sys.modules[mod]  # retry from a clean package import
            fn, err2 = _try_import("mamba_ssm.ops.triton.ssd_combined", "mamba_chunk_scan_combined")
            if fn is not None:
                notes.append("selective_scan_cuda was stubbed (opt-in) to reach mamba-ssm's Triton SSD")
                err = None
            else:
                err = f"{err}; retry with a selective_scan_cuda stub failed: {err2}"
    return fn, err


class CudaKernels:
    """Dispatch to upstream CUDA kernels, falling back to the reference per call when a kernel's
    preconditions (CUDA tensors, layouts, dtypes, head sizes) do not hold."""

    def __init__(self, chunk_scan: Optional[Callable], conv_fn: Optional[Callable], flash_varlen: Optional[Callable],
                 report: BackendReport, require_cuda: bool = True) -> None:
        self.chunk_scan, self.conv_fn, self.flash_varlen = chunk_scan, conv_fn, flash_varlen
        self.report = report
        # Tests pass require_cuda=False with CPU stand-ins that follow the kernels' signatures,
        # to check this class's argument plumbing; the real kernels need CUDA tensors.
        self.require_cuda = require_cuda

    def _usable(self, t: Tensor) -> bool:
        return t.is_cuda or not self.require_cuda

    def _fallback(self, component: str, why: str) -> None:
        self.report.runtime_fallbacks[f"{component}: {why}"] += 1

    # -- Mamba2 ------------------------------------------------------------------------------
    def conv1d_silu(self, xBC: Tensor, weight: Tensor, bias: Optional[Tensor], seq: SeqInfo) -> Tensor:
        """xBC (B, L, C) -> silu(causal depthwise conv) (B, L, C)."""
        resets = seq.has_resets()
        if self.conv_fn is None or not self._usable(xBC) or xBC.shape[-1] % 8 != 0:
            if self.conv_fn is not None:
                self._fallback("mamba2.conv1d", "not CUDA or channels % 8 != 0")
            return F.silu(causal_conv1d(xBC, weight, bias, seq.segment if resets else None))
        # causal_conv1d accepts seq_idx only in channel-last layout: (B, C, L) with stride(1) == 1,
        # and needs the time stride to be a multiple of 8 (the mamba-ssm stride issue, facts §2.10).
        x = xBC if xBC.stride(1) % 8 == 0 else xBC.contiguous()
        x = x.transpose(1, 2)  # (B, C, L), channel-last
        seq_idx = seq.segment.to(torch.int32) if resets else None
        out = self.conv_fn(x, weight.to(x.dtype), None if bias is None else bias.to(x.dtype),
                           seq_idx=seq_idx, activation="silu")
        return out.transpose(1, 2)  # (B, L, C)

    def mamba_ssd(self, x: Tensor, dt: Tensor, A: Tensor, B: Tensor, C: Tensor, dt_bias: Tensor,
                  chunk_size: int, seq: SeqInfo) -> Tensor:
        """SSD without the D skip. x (B, L, H, P), raw dt (B, L, H) -> y (B, L, H, P)."""
        resets = seq.has_resets()
        if self.chunk_scan is None or not self._usable(x):
            delta = F.softplus(upcast(dt) + upcast(dt_bias))
            return ssd_scan(upcast(x) * delta.unsqueeze(-1), delta * A, B, C, chunk_size,
                            reset=seq.seg_start if resets else None)
        seq_idx = seq.segment.to(torch.int32).contiguous() if resets else None
        return self.chunk_scan(x, dt, A, B, C, chunk_size, D=None, z=None, dt_bias=dt_bias,
                               dt_softplus=True, seq_idx=seq_idx)

    # -- attention ---------------------------------------------------------------------------
    def attention(self, q: Tensor, k: Tensor, v: Tensor, seq: SeqInfo, window_size: int,
                  softmax_scale: Optional[float]) -> Tensor:
        """q, k, v (B, L, H, Dh) -> (B, L, H, Dh); flash-attn varlen over all segments."""
        Dh = q.shape[-1]
        if self.flash_varlen is None or not self._usable(q) or Dh > 256 or Dh % 8 != 0:
            if self.flash_varlen is not None:
                self._fallback("attention", "not CUDA or head_dim unsupported")
            return sdpa_attention(q, k, v, seq, window_size, softmax_scale)
        b, l, h, _ = q.shape
        # flash-attn has no fp32 path: fp32 activations (no autocast) run in bf16 on the GPU.
        dtype = torch.bfloat16 if q.is_cuda and q.dtype not in (torch.float16, torch.bfloat16) else q.dtype
        starts = torch.nonzero(seq.seg_start.reshape(-1)).squeeze(-1)  # segment starts in (B·L)
        cu = torch.cat([starts, starts.new_tensor([b * l])]).to(torch.int32)
        max_len = int((cu[1:] - cu[:-1]).max())  # host sync, as upstream's ChunkLayer
        flat = [t.reshape(b * l, h, Dh).to(dtype) for t in (q, k, v)]
        out = self.flash_varlen(*flat, cu, cu, max_len, max_len, softmax_scale=softmax_scale,
                                causal=True, window_size=(window_size, -1))
        return out.reshape(b, l, h, Dh).to(q.dtype)

    # -- dechunk -----------------------------------------------------------------------------
    def ema(self, chunks: Tensor, p: Tensor, seq: SeqInfo, block_size: int) -> Tensor:
        """EMA via the SSD kernel as upstream: dt = -log(1-p), x = h/dt, A = -1, B = p, C = 1."""
        b, m, d = chunks.shape
        headdim = 32
        if self.chunk_scan is None or not self._usable(chunks) or d % headdim != 0:
            if self.chunk_scan is not None:
                self._fallback("dechunk.ema", "not CUDA or d_model % 32 != 0")
            return ema_scan(chunks, p, reset=seq.seg_start, chunk_size=block_size)
        nheads = d // headdim
        pf = upcast(p)
        dt = torch.log(1 / (1 - pf))  # (B, M)
        x = (upcast(chunks) / dt.unsqueeze(-1)).reshape(b, m, nheads, headdim)  # fp32, not bf16 as upstream
        A = -torch.ones(nheads, device=chunks.device, dtype=pf.dtype)
        out = self.chunk_scan(x, dt.unsqueeze(-1).expand(b, m, nheads), A, pf.reshape(b, m, 1, 1),
                              torch.ones_like(pf).reshape(b, m, 1, 1), block_size,
                              seq_idx=seq.segment.to(torch.int32).contiguous())
        return out.reshape(b, m, d).to(chunks.dtype)  # (B, M, D)


def select_backends(device: torch.device | str | None = None, prefer: str = "auto",
                    stub_selective_scan: bool = False) -> tuple[Optional[CudaKernels], BackendReport]:
    """Pick kernels for ``device``. ``prefer="reference"`` forces pure torch everywhere.

    Returns (kernels or None for pure reference, report).
    """
    dev = torch.device(device) if device is not None else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    report = BackendReport(device=str(dev), torch_version=torch.__version__, choices=[])
    components = ("mamba2.ssd", "mamba2.conv1d", "attention", "dechunk.ema")
    if prefer == "reference" or dev.type != "cuda":
        why = "forced by prefer='reference'" if prefer == "reference" else f"device {dev.type} has no CUDA kernels"
        report.choices = [KernelChoice(c, "sdpa" if c == "attention" else REFERENCE, why) for c in components]
        return None, report

    notes: list[str] = []
    scan, scan_err = _import_mamba_scan(stub_selective_scan, notes)
    conv, conv_err = _try_import("causal_conv1d", "causal_conv1d_fn")
    flash, flash_err = _try_import("flash_attn", "flash_attn_varlen_func")
    for pkg, err in (("mamba_ssm", scan_err), ("causal_conv1d", conv_err), ("flash_attn", flash_err)):
        if err:
            report.missing[pkg] = err
        v = _version(pkg.replace("_", "-"))
        if v:
            report.versions[pkg] = v
    ok = "imported; CUDA path untested in this repo's CI"
    report.choices = [
        KernelChoice("mamba2.ssd", "mamba_ssm.mamba_chunk_scan_combined" if scan else REFERENCE,
                     ok if scan else f"fallback: {scan_err}"),
        KernelChoice("mamba2.conv1d", "causal_conv1d.causal_conv1d_fn" if conv else REFERENCE,
                     ok if conv else f"fallback: {conv_err}"),
        KernelChoice("attention", "flash_attn.flash_attn_varlen_func" if flash else "sdpa",
                     ok if flash else f"fallback to SDPA: {flash_err}"),
        KernelChoice("dechunk.ema", "mamba_ssm.mamba_chunk_scan_combined" if scan else REFERENCE,
                     ok if scan else f"fallback: {scan_err}"),
    ]
    report.untested = [c.component for c in report.choices if c.impl not in (REFERENCE, "sdpa")]
    report.notes = notes + ["flash-attn runs in bf16 when activations are fp32 (it has no fp32 path)"]
    if not (scan or conv or flash):
        return None, report
    return CudaKernels(scan, conv, flash, report), report


def apply_backends(model: nn.Module, device: torch.device | str | None = None, prefer: str = "auto",
                   stub_selective_scan: bool = False) -> BackendReport:
    """Select kernels and attach them to every Mamba2, CausalMHA and DeChunkLayer in ``model``."""
    kernels, report = select_backends(device, prefer, stub_selective_scan)
    for m in model.modules():
        if isinstance(m, (Mamba2, CausalMHA, DeChunkLayer)):
            m.kernels = kernels
    return report
