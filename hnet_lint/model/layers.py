"""Small building blocks: RMSNorm, gated RMSNorm (Mamba2's output norm) and SwiGLU.

Norms compute in fp32 and return the dtype of their input, matching flash-attn's Triton RMSNorm
(used upstream by every Block and Isotropic) and mamba-ssm's gated RMSNorm.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

__all__ = ["RMSNorm", "RMSNormGated", "SwiGLU", "upcast"]


def upcast(t: Tensor) -> Tensor:
    """fp32 for low-precision tensors; fp64 stays fp64 (used by the float64 tests)."""
    return t if t.dtype == torch.float64 else t.float()


def _rms_normalize(x: Tensor, eps: float) -> Tensor:
    # x is fp32 here; rsqrt(mean(x^2) + eps)
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)


class RMSNorm(nn.Module):
    """RMSNorm with a weight and no bias (flash-attn ``RMSNorm(d, eps=1e-5)``)."""

    def __init__(self, d: int, eps: float = 1e-5, device=None, dtype=None) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d, device=device, dtype=dtype))

    def forward(self, x: Tensor, out_dtype: Optional[torch.dtype] = None) -> Tensor:
        """x: (..., d) -> (..., d) in ``out_dtype`` (default: x's dtype)."""
        with torch.autocast(device_type=x.device.type, enabled=False):
            y = _rms_normalize(upcast(x), self.eps) * upcast(self.weight)
        return y.to(out_dtype or x.dtype)


class RMSNormGated(nn.Module):
    """Mamba2 output norm with ``norm_before_gate=False``: ``RMSNorm(y · silu(z)) · weight``.

    ``group_size`` = d_inner / ngroups; with the official ngroups = 1 it normalises over all of
    d_inner. Named ``norm`` inside Mamba2 (so upstream ``group_params`` exempts it from decay).
    """

    def __init__(self, d: int, eps: float = 1e-5, group_size: Optional[int] = None, device=None, dtype=None) -> None:
        super().__init__()
        self.eps = eps
        self.group_size = group_size or d
        self.weight = nn.Parameter(torch.ones(d, device=device, dtype=dtype))

    def forward(self, y: Tensor, z: Tensor) -> Tensor:
        """y, z: (..., d) -> (..., d) in y's dtype."""
        with torch.autocast(device_type=y.device.type, enabled=False):
            g = upcast(y) * F.silu(upcast(z))
            shape = g.shape
            g = g.reshape(*shape[:-1], shape[-1] // self.group_size, self.group_size)
            g = _rms_normalize(g, self.eps).reshape(shape)  # (..., d)
            out = g * upcast(self.weight)
        return out.to(y.dtype)


class SwiGLU(nn.Module):
    """Gated MLP: ``fc2(silu(gate) · up)`` where ``fc1`` outputs ``[up, gate]`` (gate = 2nd half).

    The hidden width is rounded up to a multiple of 128, as upstream ``mlp.py`` does.
    """

    def __init__(self, d: int, d_intermediate: int, multiple_of: int = 128, device=None, dtype=None) -> None:
        super().__init__()
        hidden = (d_intermediate + multiple_of - 1) // multiple_of * multiple_of
        self.fc1 = nn.Linear(d, 2 * hidden, bias=False, device=device, dtype=dtype)
        self.fc2 = nn.Linear(hidden, d, bias=False, device=device, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        """x: (..., d) -> (..., d)."""
        up, gate = self.fc1(x).chunk(2, dim=-1)  # (..., F') each
        return self.fc2(F.silu(gate) * up)
