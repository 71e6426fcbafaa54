"""Pure-PyTorch sequence kernels: chunked SSD scan, causal depthwise conv, dechunk EMA.

All three are *linear recurrences with resets*. The SSD (state space duality, Mamba-2 paper §6)
computes the selective-SSM recurrence

    S_t = a_t · S_{t-1} + B_t ⊗ x_t,        y_t = C_t · S_t        (a_t = exp(log_a_t) ∈ (0, 1])

in the *chunked matrix form*: quadratic attention-like products inside chunks of length Q and a
short recurrence over chunk states between them. There is no Python loop over time. A document
boundary at t ("reset") means S_{t-1} is dropped; we encode it as ``log_a_t = -inf`` so that
``exp`` of every cumulative sum crossing t is exactly 0. To keep that exact, cumulative decays are
only ever formed by summation (``segsum``), never by differences of cumsums (which would give
``-inf - -inf = nan``).

The scans always run in fp32 (or fp64 if the inputs are fp64), with autocast disabled: the SSM
recurrence is precision-sensitive, and the upstream Triton kernels also accumulate in fp32.
"""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["segsum", "ssd_scan", "ema_scan", "causal_conv1d"]


def _scan_dtype(t: Tensor) -> torch.dtype:
    return torch.float64 if t.dtype == torch.float64 else torch.float32


def segsum(log_a: Tensor) -> Tensor:
    """Segment sums: ``out[..., i, j] = sum_{k=j+1..i} log_a[..., k]`` for i >= j, else -inf.

    (..., T) -> (..., T, T). Built with a masked cumsum so ``-inf`` entries stay exact.
    """
    T = log_a.size(-1)
    strict = torch.ones(T, T, dtype=torch.bool, device=log_a.device).tril(-1)
    rep = log_a.unsqueeze(-1).expand(*log_a.shape, T)  # (..., T, T): rep[i, j] = log_a[i]
    rep = rep.masked_fill(~strict, 0.0)
    out = torch.cumsum(rep, dim=-2)  # (..., T, T)
    lower = torch.ones(T, T, dtype=torch.bool, device=log_a.device).tril(0)
    return out.masked_fill(~lower, float("-inf"))


def ssd_scan(
    x: Tensor,
    log_a: Tensor,
    B: Tensor,
    C: Tensor,
    chunk_size: int,
    reset: Optional[Tensor] = None,
) -> Tensor:
    """Chunked SSD scan (matrix form) with optional resets.

    Args:
        x: (b, l, h, p) inputs, already multiplied by Δt for Mamba2.
        log_a: (b, l, h) log decay per step (Δt·A for Mamba2), <= 0.
        B, C: (b, l, g, n) input / output projections; heads share them in ``g`` groups.
        chunk_size: Q, the block length of the matrix form.
        reset: (b, l) bool, True where the state is zeroed before step t (segment starts).
    Returns:
        y: (b, l, h, p) in the dtype of ``x``.
    """
    out_dtype = x.dtype
    dt = _scan_dtype(x)
    with torch.autocast(device_type=x.device.type, enabled=False):
        x, log_a, B, C = (t.to(dt) for t in (x, log_a, B, C))
        if reset is not None:
            log_a = log_a.masked_fill(reset.unsqueeze(-1), float("-inf"))
        b, l, h, p = x.shape
        g, n = B.shape[-2:]
        Q = max(1, min(chunk_size, l))  # the chunk length changes cost, never the result
        pad = (-l) % Q
        if pad:  # zero inputs and zero log-decay (a=1) at the tail change nothing before it
            x = F.pad(x, (0, 0, 0, 0, 0, pad))
            log_a = F.pad(log_a, (0, 0, 0, pad))
            B = F.pad(B, (0, 0, 0, 0, 0, pad))
            C = F.pad(C, (0, 0, 0, 0, 0, pad))
        c = (l + pad) // Q
        x = x.reshape(b, c, Q, h, p)  # (b, c, Q, h, p)
        # Heads share B and C within a group; expand instead of copying when g = 1.
        B = B.reshape(b, c, Q, g, 1, n).expand(b, c, Q, g, h // g, n).reshape(b, c, Q, h, n)  # (b, c, Q, h, n)
        C = C.reshape(b, c, Q, g, 1, n).expand(b, c, Q, g, h // g, n).reshape(b, c, Q, h, n)  # (b, c, Q, h, n)
        la = log_a.reshape(b, c, Q, h).permute(0, 3, 1, 2)  # (b, h, c, Q)

        # 1. Within each chunk: y_i = sum_{j<=i} (C_i·B_j) · exp(sum_{k=j+1..i} log_a_k) · x_j
        decay = torch.exp(segsum(la))  # (b, h, c, Q, Q)
        scores = torch.einsum("bclhn,bcshn->bhcls", C, B) * decay  # (b, h, c, Q, Q)
        y_diag = torch.einsum("bhcls,bcshp->bclhp", scores, x)  # (b, c, Q, h, p)

        # 2. State contributed by each chunk at its last position (last row of `decay`).
        decay_to_end = decay[..., -1, :]  # (b, h, c, Q)
        x_to_end = x * decay_to_end.permute(0, 2, 3, 1).unsqueeze(-1)  # (b, c, Q, h, p)
        chunk_states = torch.einsum("bcshn,bcshp->bchpn", B, x_to_end)  # (b, c, h, p, n)

        # 3. Recurrence over chunks: state entering chunk z = sum_{c<z} decay(c→z) · chunk_state_c.
        chunk_log_a = la.sum(-1)  # (b, h, c)
        states = torch.cat([torch.zeros_like(chunk_states[:, :1]), chunk_states], dim=1)  # (b, c+1, h, p, n)
        chunk_decay = torch.exp(segsum(F.pad(chunk_log_a, (1, 0))))  # (b, h, c+1, c+1)
        entering = torch.einsum("bhzc,bchpn->bzhpn", chunk_decay, states)[:, :-1]  # (b, c, h, p, n)

        # 4. Carried state read out inside each chunk, decayed up to position i.
        decay_from_start = torch.exp(torch.cumsum(la, dim=-1))  # (b, h, c, Q)
        C_decayed = C * decay_from_start.permute(0, 2, 3, 1).unsqueeze(-1)  # (b, c, Q, h, n)
        y_off = torch.einsum("bclhn,bchpn->bclhp", C_decayed, entering)  # (b, c, Q, h, p)

        y = (y_diag + y_off).reshape(b, c * Q, h, p)[:, :l]  # (b, l, h, p)
    return y.to(out_dtype)


def ema_scan(h: Tensor, p: Tensor, reset: Optional[Tensor] = None, chunk_size: int = 256) -> Tensor:
    """Dechunk EMA ``z_t = p_t·h_t + (1 - p_t)·z_{t-1}``, restarting at ``reset``.

    An SSD with one head, state size 1, B = C = 1 and decay 1 - p_t; upstream reuses the Mamba2
    kernel the same way (dt = -log(1-p), x = h/dt, B = p), which is algebraically identical.
    h: (b, m, d); p: (b, m) already clamped to [1e-4, 1 - 1e-4]. Returns (b, m, d).
    """
    b, m, d = h.shape
    dt = _scan_dtype(h)
    with torch.autocast(device_type=h.device.type, enabled=False):
        pf = p.to(dt)
        x = (pf.unsqueeze(-1) * h.to(dt)).unsqueeze(2)  # (b, m, 1, d)
        log_a = torch.log1p(-pf).unsqueeze(-1)  # (b, m, 1)
        ones = torch.ones(b, m, 1, 1, dtype=dt, device=h.device)  # B = C = 1
        z = ssd_scan(x, log_a, ones, ones, chunk_size, reset)  # (b, m, 1, d)
    return z.squeeze(2).to(h.dtype)  # (b, m, d)


def causal_conv1d(
    x: Tensor, weight: Tensor, bias: Optional[Tensor], segment: Optional[Tensor] = None
) -> Tensor:
    """Depthwise causal conv that does not look across segment boundaries.

    x: (b, l, c); weight: (c, K) with weight[:, K-1] applied to x_t (PyTorch conv layout);
    bias: (c,); segment: (b, l) ids. out_t = bias + sum_k weight[:, K-1-k] · x_{t-k} over
    the same segment. A loop over the K (<= 4) taps, not over time. Returns (b, l, c).
    """
    b, l, c = x.shape
    K = weight.shape[-1]
    out = x * weight[:, K - 1]
    for k in range(1, min(K, l + 1) if l > 0 else 1):
        shifted = F.pad(x, (0, 0, k, 0))[:, :l]  # (b, l, c): x_{t-k}, zero before t=0
        if segment is not None:
            same = torch.zeros(b, l, dtype=torch.bool, device=x.device)
            same[:, k:] = segment[:, k:] == segment[:, :-k]
            shifted = shifted * same.unsqueeze(-1).to(x.dtype)
        out = out + shifted * weight[:, K - 1 - k]
    if bias is not None:
        out = out + bias
    return out  # (b, l, c)
