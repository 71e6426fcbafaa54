"""Mamba2 mixer (Dao & Gu 2024) in pure PyTorch, parameter-compatible with mamba-ssm's ``Mamba2``.

Forward, for input u (B, L, D):
    [z, x, B, C, dt] = in_proj(u)                 # packed projection, mamba-ssm order
    [x, B, C] = silu(causal_conv1d([x, B, C]))    # depthwise, resets at document starts
    Δ = softplus(dt + dt_bias),  A = -exp(A_log)  # per head
    y = SSD(x·Δ, decay exp(Δ·A), B, C) + D·x      # chunked matrix form (ssd.py)
    out = out_proj(RMSNorm(y · silu(z)))          # gated norm, norm_before_gate=False

Fixed as upstream H-Net passes them: headdim 64, ngroups 1, no in/out bias, conv bias, D per head.
"""

from __future__ import annotations

import math
from typing import Any, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .layers import RMSNormGated, upcast
from .sequence import SeqInfo
from .ssd import causal_conv1d, ssd_scan

__all__ = ["Mamba2"]


@torch.no_grad()
def _dynamics_stats(delta: Tensor, A: Tensor, valid: Tensor) -> dict[str, float]:
    """min / median / max of Δ, A and the per-step decay exp(Δ·A) over real tokens (dry-run
    signal: SSM dynamics drifting toward no decay or total forgetting)."""
    d = delta[valid]  # (n, H)
    out: dict[str, float] = {}
    for name, t in (("dt", d), ("A", A), ("decay", torch.exp(d * A))):
        t = t.float().flatten()
        if t.numel():
            out.update({f"{name}_min": t.min().item(), f"{name}_median": t.median().item(), f"{name}_max": t.max().item()})
    return out


class Mamba2(nn.Module):
    """Selective state-space mixer. See the module docstring for the equations."""

    def __init__(
        self,
        d_model: int,
        d_state: int = 128,
        d_conv: int = 4,
        expand: int = 2,
        headdim: int = 64,
        ngroups: int = 1,
        chunk_size: int = 256,
        dt_min: float = 1e-3,
        dt_max: float = 1e-1,
        dt_init_floor: float = 1e-4,
        A_init_range: tuple[float, float] = (1.0, 16.0),
        layer_idx: Optional[int] = None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        fk = {"device": device, "dtype": dtype}
        self.d_model, self.d_state, self.d_conv = d_model, d_state, d_conv
        self.d_inner = expand * d_model
        if self.d_inner % headdim != 0:
            raise ValueError(f"expand*d_model={self.d_inner} must be a multiple of headdim={headdim}")
        self.headdim, self.ngroups, self.chunk_size = headdim, ngroups, chunk_size
        self.nheads = self.d_inner // headdim
        self.layer_idx = layer_idx
        self.kernels: Any = None  # optional CUDA kernels (backends.py); None = pure torch
        self.collect_stats = False  # when True, forward stores dt / A / decay ranges in self.stats
        self.stats: dict[str, float] = {}

        d_in_proj = 2 * self.d_inner + 2 * ngroups * d_state + self.nheads  # [z, x, B, C, dt]
        self.in_proj = nn.Linear(d_model, d_in_proj, bias=False, **fk)
        conv_dim = self.d_inner + 2 * ngroups * d_state
        self.conv1d = nn.Conv1d(conv_dim, conv_dim, d_conv, groups=conv_dim, padding=d_conv - 1, bias=True, **fk)

        # Δ bias: Δ ~ log-uniform[dt_min, dt_max] floored at dt_init_floor, stored through the
        # inverse softplus so that softplus(dt_bias) = Δ at init.
        dt = torch.exp(
            torch.rand(self.nheads, device=device) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
        ).clamp(min=dt_init_floor)
        inv_dt = dt + torch.log(-torch.expm1(-dt))
        self.dt_bias = nn.Parameter(inv_dt.to(dtype) if dtype else inv_dt)
        self.dt_bias._no_weight_decay = True
        A = torch.empty(self.nheads, dtype=torch.float32, device=device).uniform_(*A_init_range)
        self.A_log = nn.Parameter(torch.log(A).to(dtype) if dtype else torch.log(A))
        self.A_log._no_weight_decay = True
        # Upstream creates D without a dtype, so it stays fp32 even in a bf16 model.
        self.D = nn.Parameter(torch.ones(self.nheads, device=device))
        self.D._no_weight_decay = True

        self.norm = RMSNormGated(self.d_inner, eps=1e-5, group_size=self.d_inner // ngroups, **fk)
        self.out_proj = nn.Linear(self.d_inner, d_model, bias=False, **fk)

    def forward(self, u: Tensor, seq: SeqInfo) -> Tensor:
        """u: (B, L, D) -> (B, L, D); the state and conv window restart at every segment."""
        b, l, _ = u.shape
        g, n, h, p = self.ngroups, self.d_state, self.nheads, self.headdim
        zxbcdt = self.in_proj(u)  # (B, L, 2·d_inner + 2·g·n + h)
        z, xBC, dt = torch.split(zxbcdt, [self.d_inner, self.d_inner + 2 * g * n, h], dim=-1)

        resets = seq.has_resets()
        conv_w = self.conv1d.weight.squeeze(1)  # (conv_dim, K)
        if self.kernels is not None:
            xBC = self.kernels.conv1d_silu(xBC, conv_w, self.conv1d.bias, seq)
        else:
            xBC = F.silu(causal_conv1d(xBC, conv_w, self.conv1d.bias, seq.segment if resets else None))
        x, B, C = torch.split(xBC, [self.d_inner, g * n, g * n], dim=-1)
        x = x.reshape(b, l, h, p)  # (B, L, H, P)
        B = B.reshape(b, l, g, n)  # (B, L, G, N)
        C = C.reshape(b, l, g, n)  # (B, L, G, N)

        A = -torch.exp(upcast(self.A_log))  # (H,)
        if self.kernels is not None:
            y = self.kernels.mamba_ssd(x, dt, A, B, C, self.dt_bias, self.chunk_size, seq)
        else:
            delta = F.softplus(upcast(dt) + upcast(self.dt_bias))  # (B, L, H)
            y = ssd_scan(
                upcast(x) * delta.unsqueeze(-1), delta * A, B, C, self.chunk_size,
                reset=seq.seg_start if resets else None,
            )  # (B, L, H, P)
        if self.collect_stats:
            self.stats = _dynamics_stats(F.softplus(upcast(dt) + upcast(self.dt_bias)), A, seq.valid)
        y = upcast(y) + upcast(x) * upcast(self.D).unsqueeze(-1)  # D skip connection
        y = self.norm(y.reshape(b, l, self.d_inner).to(x.dtype), z)  # (B, L, d_inner)
        return self.out_proj(y)  # (B, L, D)
