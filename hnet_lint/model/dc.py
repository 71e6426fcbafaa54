"""Dynamic chunking (paper §2.2): routing, chunking (downsampling) and dechunking (upsampling).

Paper → code:
    p_t  (boundary probability)   → ``RouterOutput.boundary_prob``  (B, L)
    b_t  (boundary indicator)     → ``RouterOutput.boundary_mask``  (B, L) bool
    P_t = b_t·p_t + (1-b_t)(1-p_t) → ``RouterOutput.selected_probs`` (B, L), the confidence used by the STE
    z̄_t (smoothed chunk vectors)  → output of :class:`DeChunkLayer` before the byte gather

Departures from upstream (goombalab/hnet ``hnet/modules/dc.py``), all deliberate:
* Upstream stacks ``boundary_prob`` as (..., 2) = [1-p, p] and keeps ``selected_probs`` (..., 1);
  here both are plain (B, L). ``ratio_loss`` takes p directly.
* Upstream projects ``q`` from h_{t-1} and ``k`` from h_t, the reverse of the paper's (q_t, k_{t-1}).
  We follow upstream so that official checkpoints load with the same meaning.
* The EMA runs in fp32; upstream casts it to bf16 for the Triton kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .layers import upcast
from .sequence import SeqInfo
from .ssd import ema_scan

__all__ = ["RouterOutput", "RoutingModule", "ChunkLayer", "DeChunkLayer", "ste_ones"]


@dataclass
class RouterOutput:
    """Router result for one stage. All tensors are (B, L) over that stage's input positions.

    ``valid`` marks real (non-padding) positions: average over it for ratio statistics.
    """

    boundary_prob: Tensor  # p_t in [0, 1], float
    boundary_mask: Tensor  # b_t, bool; False on padding
    selected_probs: Tensor  # P_t = max(p_t, 1 - p_t), float, carries gradient
    valid: Tensor  # bool


class _OnesSTE(torch.autograd.Function):
    """Forward: ones (the value of the product is unchanged). Backward: identity."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:  # noqa: D401
        return torch.ones_like(x)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:
        return grad


def ste_ones(x: Tensor) -> Tensor:
    """Straight-through estimator: value 1, gradient as if identity (upstream ``ste_func``)."""
    return _OnesSTE.apply(x)


class RoutingModule(nn.Module):
    """Boundary predictor: p_t = clamp((1 - cos(q(h_{t-1}), k(h_t))) / 2, 0, 1)."""

    def __init__(self, d_model: int, device=None, dtype=None) -> None:
        super().__init__()
        self.d_model = d_model
        self.q_proj_layer = nn.Linear(d_model, d_model, bias=False, device=device, dtype=dtype)
        self.k_proj_layer = nn.Linear(d_model, d_model, bias=False, device=device, dtype=dtype)
        # Identity init: at step 0 the router measures raw cosine dissimilarity of adjacent states.
        with torch.no_grad():
            for lin in (self.q_proj_layer, self.k_proj_layer):
                lin.weight.copy_(torch.eye(d_model, device=device, dtype=dtype))
                lin.weight._no_reinit = True

    def forward(self, h: Tensor, seq: SeqInfo) -> RouterOutput:
        """h: (B, L, D) encoder output."""
        q = F.normalize(self.q_proj_layer(h[:, :-1]), dim=-1)  # (B, L-1, D): from h_{t-1}
        k = F.normalize(self.k_proj_layer(h[:, 1:]), dim=-1)  # (B, L-1, D): from h_t
        cos = (upcast(q) * upcast(k)).sum(dim=-1)  # (B, L-1)
        p = torch.clamp((1.0 - cos) / 2.0, min=0.0, max=1.0)
        p = F.pad(p, (1, 0), value=1.0)  # (B, L): the first position always opens a chunk
        p = p.masked_fill(seq.doc_start, 1.0)  # ... and so does every document start
        # Hard decision = argmax([1-p, p]): a tie at p = 0.5 is *not* a boundary.
        boundary_mask = (p > 1.0 - p) & seq.valid  # (B, L)
        selected_probs = torch.where(boundary_mask, p, 1.0 - p)  # (B, L)
        return RouterOutput(p, boundary_mask, selected_probs, seq.valid)


class ChunkLayer(nn.Module):
    """Downsample: keep the positions where b_t = 1, packed to the front of each row."""

    def forward(self, h: Tensor, boundary_mask: Tensor, seq: SeqInfo) -> tuple[Tensor, Tensor, SeqInfo]:
        """h: (B, L, D) -> chunks (B, M, D), chunk_index (B, M), and the chunk-level SeqInfo.

        M is the largest chunk count in the batch; rows with fewer chunks are padded (their own
        padding segment). Reading M is a host sync, as upstream's ``int(num_tokens.max())``.
        """
        B, L, D = h.shape
        counts = boundary_mask.sum(dim=1)  # (B,)
        M = int(counts.max()) if B else 0
        idx = torch.arange(L, device=h.device).expand(B, L)
        order_key = idx + (~boundary_mask).long() * L  # boundaries first, in time order
        chunk_index = torch.argsort(order_key, dim=1)[:, :M]  # (B, M)
        chunks = torch.gather(h, 1, chunk_index.unsqueeze(-1).expand(B, M, D))  # (B, M, D)
        chunk_valid = torch.arange(M, device=h.device)[None, :] < counts[:, None]  # (B, M)
        return chunks, chunk_index, seq.gather(chunk_index, chunk_valid)


class DeChunkLayer(nn.Module):
    """Upsample: EMA over chunks, z̄_t = P_t·ẑ_t + (1-P_t)·z̄_{t-1}, then each byte takes its chunk.

    ``P`` here is the boundary probability p of the chunk's first byte, clamped to [1e-4, 1-1e-4]
    as upstream (which needs log(1/(1-p)) finite for its kernel).
    """

    def __init__(self, d_model: int, block_size: int = 256) -> None:
        super().__init__()
        self.d_model = d_model
        self.block_size = block_size
        self.kernels: Any = None  # optional CUDA kernels (backends.py); None = pure torch

    def forward(
        self,
        chunks: Tensor,
        boundary_mask: Tensor,
        boundary_prob: Tensor,
        chunk_index: Tensor,
        chunk_seq: SeqInfo,
    ) -> Tensor:
        """chunks: (B, M, D) inner output -> (B, L, D) at byte resolution."""
        p = torch.clamp(upcast(boundary_prob), min=1e-4, max=1 - 1e-4)  # (B, L)
        p_chunk = torch.gather(p, 1, chunk_index)  # (B, M)
        if self.kernels is not None:
            z = self.kernels.ema(chunks, p_chunk, chunk_seq, self.block_size)
        else:
            z = ema_scan(chunks, p_chunk, reset=chunk_seq.seg_start, chunk_size=self.block_size)  # (B, M, D)
        # Byte t belongs to the chunk opened by the latest boundary at or before t.
        plug_back = (torch.cumsum(boundary_mask.long(), dim=1) - 1).clamp(min=0)  # (B, L)
        B, L = boundary_mask.shape
        return torch.gather(z, 1, plug_back.unsqueeze(-1).expand(B, L, z.shape[-1]))  # (B, L, D)
