"""Causal multi-head attention with partial rotary embeddings, sliding window and documents.

Parameter-compatible with upstream ``CausalMHA``: ``Wqkv`` (packed as (three, heads, head_dim)),
``out_proj``, no biases, and a non-persistent rotary ``inv_freq`` buffer. Rotary is the GPT-NeoX
(non-interleaved) form on the first ``rotary_emb_dim`` dims of each head, with positions counted
from the start of each document (flash-attn's varlen rotary does the same with ``cu_seqlens``).

Masking: token i may attend to token j iff j <= i, both are in the same segment, and (window
w >= 0) i - j <= w, i.e. w previous tokens plus itself (flash-attn ``window_size=(w, -1)``).
"""

from __future__ import annotations

from typing import Any, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .layers import upcast
from .sequence import SeqInfo

__all__ = ["RotaryEmbedding", "CausalMHA", "attention_mask", "max_attention_logit", "sdpa_attention"]


class RotaryEmbedding(nn.Module):
    """Holds ``inv_freq`` (dim/2,) as a non-persistent buffer (absent from the state_dict)."""

    def __init__(self, dim: int, base: float = 10000.0, device=None) -> None:
        super().__init__()
        self.dim = dim
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, device=device, dtype=torch.float32) / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, x: Tensor, positions: Tensor) -> Tensor:
        """Rotate the first ``dim`` channels of x (B, L, H, Dh) by positions (B, L)."""
        half = self.dim // 2
        with torch.autocast(device_type=x.device.type, enabled=False):
            angles = positions.to(upcast(x).dtype).unsqueeze(-1) * self.inv_freq.to(upcast(x).dtype)  # (B, L, dim/2)
            cos = angles.cos().unsqueeze(2)  # (B, L, 1, dim/2)
            sin = angles.sin().unsqueeze(2)  # (B, L, 1, dim/2)
            xf = upcast(x)
            x1, x2, rest = xf[..., :half], xf[..., half : self.dim], xf[..., self.dim :]
            out = torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin, rest], dim=-1)
        return out.to(x.dtype)  # (B, L, H, Dh)


def attention_mask(seq: SeqInfo, window_size: int) -> Tensor:
    """Boolean (B, 1, L, L) mask: causal, same segment, and within the sliding window.

    Cached on ``seq`` per window size, since all attention layers of a stage share it.
    """
    key = ("attention_mask", window_size)
    if key in seq.cache:
        return seq.cache[key]
    L = seq.segment.shape[1]
    i = torch.arange(L, device=seq.segment.device)
    allowed = i[:, None] >= i[None, :]  # (L, L) causal
    if window_size >= 0:
        allowed = allowed & (i[:, None] - i[None, :] <= window_size)
    same = seq.segment.unsqueeze(2) == seq.segment.unsqueeze(1)  # (B, L, L)
    seq.cache[key] = (allowed.unsqueeze(0) & same).unsqueeze(1)  # (B, 1, L, L)
    return seq.cache[key]


def sdpa_attention(
    q: Tensor, k: Tensor, v: Tensor, seq: SeqInfo, window_size: int, softmax_scale: Optional[float] = None
) -> Tensor:
    """Reference attention through ``F.scaled_dot_product_attention``. q, k, v: (B, L, H, Dh)."""
    mask = attention_mask(seq, window_size)  # (B, 1, L, L); the diagonal is always allowed
    dtype = q.dtype
    if q.device.type == "cpu" and dtype in (torch.bfloat16, torch.float16):
        # CPU's half-precision SDPA kernel picks its path from the CPU's features, not from the
        # dispatched ISA: under ATEN_CPU_CAPABILITY=default on an AVX-512 host it raises
        # ("pack_vnni2 is only supported when avx512 is supported"). fp32 runs everywhere, and
        # flash kernels accumulate in fp32 anyway; the output is cast back.
        q, k, v = q.float(), k.float(), v.float()
    out = F.scaled_dot_product_attention(
        q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2), attn_mask=mask, scale=softmax_scale
    )  # (B, H, L, Dh)
    return out.transpose(1, 2).to(dtype)  # (B, L, H, Dh)


@torch.no_grad()
def max_attention_logit(q: Tensor, k: Tensor, seq: SeqInfo, window_size: int, softmax_scale: Optional[float]) -> float:
    """max |q·k|·scale over allowed pairs (Wortsman et al.'s logit-growth signal; SDPA and
    flash-attn never materialise the logits, so this recomputes them, O(L^2) per head)."""
    scale = softmax_scale if softmax_scale is not None else q.shape[-1] ** -0.5
    logits = torch.einsum("blhd,bmhd->bhlm", upcast(q), upcast(k)).abs() * scale  # (B, H, L, L)
    logits = logits.masked_fill(~attention_mask(seq, window_size), 0.0)
    return logits.max().item() if logits.numel() else 0.0


class CausalMHA(nn.Module):
    """Multi-head causal self-attention (upstream ``hnet/modules/mha.py``)."""

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        rotary_emb_dim: int = 0,
        window_size: int = -1,
        softmax_scale: Optional[float] = None,
        rotary_emb_base: float = 10000.0,
        layer_idx: Optional[int] = None,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        if d_model % num_heads != 0:
            raise ValueError(f"d_model={d_model} must be divisible by num_heads={num_heads}")
        self.d_model, self.num_heads = d_model, num_heads
        self.head_dim = d_model // num_heads
        if not 0 <= rotary_emb_dim <= self.head_dim or rotary_emb_dim % 2:
            raise ValueError(f"rotary_emb_dim={rotary_emb_dim} must be even and <= head_dim={self.head_dim}")
        self.rotary_emb_dim, self.window_size = rotary_emb_dim, window_size
        self.softmax_scale, self.layer_idx = softmax_scale, layer_idx
        self.kernels: Any = None  # optional CUDA kernels (backends.py); None = SDPA
        self.collect_stats = False  # when True, forward stores the max attention logit in self.stats
        self.stats: dict[str, float] = {}
        if rotary_emb_dim > 0:
            self.rotary_emb = RotaryEmbedding(rotary_emb_dim, base=rotary_emb_base, device=device)
        self.Wqkv = nn.Linear(d_model, 3 * d_model, bias=False, device=device, dtype=dtype)
        self.out_proj = nn.Linear(d_model, d_model, bias=False, device=device, dtype=dtype)

    def forward(self, x: Tensor, seq: SeqInfo) -> Tensor:
        """x: (B, L, D) -> (B, L, D)."""
        b, l, _ = x.shape
        qkv = self.Wqkv(x).reshape(b, l, 3, self.num_heads, self.head_dim)  # (B, L, 3, H, Dh)
        q, k, v = qkv.unbind(dim=2)  # (B, L, H, Dh) each
        if self.rotary_emb_dim > 0:
            pos = seq.positions()  # (B, L), restarts at each document
            q, k = self.rotary_emb(q, pos), self.rotary_emb(k, pos)
        if self.collect_stats:
            self.stats = {"max_logit": max_attention_logit(q, k, seq, self.window_size, self.softmax_scale)}
        if self.kernels is not None:
            out = self.kernels.attention(q, k, v, seq, self.window_size, self.softmax_scale)
        else:
            out = sdpa_attention(q, k, v, seq, self.window_size, self.softmax_scale)
        return self.out_proj(out.reshape(b, l, self.d_model))  # (B, L, D)
