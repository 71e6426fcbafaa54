"""Argument plumbing of the CUDA backend, exercised on CPU with stand-ins for the kernels.

The stand-ins follow the documented signatures and semantics of mamba-ssm's
``mamba_chunk_scan_combined``, causal-conv1d's ``causal_conv1d_fn`` and flash-attn's
``flash_attn_varlen_func`` (including their layout/dtype preconditions that we can check on CPU),
but compute with the reference code. This checks how ``CudaKernels`` calls them (dt/x scaling,
seq_idx, channel-last conv layout, cu_seqlens, the dechunk EMA written as an SSD) — it does NOT
test the real kernels, which need a GPU.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from hnet_lint.model.backends import BackendReport, CudaKernels
from hnet_lint.model.config import DEBUG_2STAGE, HNetConfig
from hnet_lint.model.hnet import HNetForCausalLM
from hnet_lint.model.ssd import causal_conv1d, ssd_scan


def _resets(seq_idx: torch.Tensor) -> torch.Tensor:
    r = torch.ones_like(seq_idx, dtype=torch.bool)
    r[:, 1:] = seq_idx[:, 1:] != seq_idx[:, :-1]
    return r


def chunk_scan_standin(x, dt, A, B, C, chunk_size, D=None, z=None, dt_bias=None, initial_states=None,
                       seq_idx=None, dt_softplus=False, **_):
    assert D is None and z is None and initial_states is None
    assert x.dim() == 4 and dt.shape == x.shape[:3] and A.shape == x.shape[2:3] and B.dim() == 4
    if dt_bias is not None:
        dt = dt + dt_bias
    if dt_softplus:
        dt = F.softplus(dt)
    reset = None
    if seq_idx is not None:
        assert seq_idx.dtype == torch.int32 and seq_idx.shape == x.shape[:2]
        reset = _resets(seq_idx)
    return ssd_scan(x * dt[..., None], dt * A, B, C, chunk_size, reset)


def conv_standin(x, weight, bias=None, seq_idx=None, activation=None, **_):
    assert x.dim() == 3 and weight.shape == (x.shape[1], weight.shape[1])
    if seq_idx is not None:  # causal-conv1d: seq_idx only with the channel-last layout
        assert x.stride(1) == 1 and x.stride(2) % 8 == 0 and seq_idx.dtype == torch.int32
    out = causal_conv1d(x.transpose(1, 2), weight, bias, seq_idx).transpose(1, 2)
    return F.silu(out) if activation == "silu" else out


def flash_varlen_standin(q, k, v, cu_q, cu_k, max_q, max_k, softmax_scale=None, causal=False,
                         window_size=(-1, -1), **_):
    assert cu_q.dtype == torch.int32 and isinstance(max_q, int) and causal and window_size[1] == -1
    assert torch.equal(cu_q, cu_k) and q.dim() == 3
    out = torch.empty_like(q)
    for lo, hi in zip(cu_q[:-1].tolist(), cu_q[1:].tolist()):
        assert hi - lo <= max_q
        i = torch.arange(hi - lo)
        allowed = i[:, None] >= i[None, :]
        if window_size[0] >= 0:
            allowed &= i[:, None] - i[None, :] <= window_size[0]
        o = F.scaled_dot_product_attention(q[lo:hi].transpose(0, 1), k[lo:hi].transpose(0, 1),
                                           v[lo:hi].transpose(0, 1), attn_mask=allowed, scale=softmax_scale)
        out[lo:hi] = o.transpose(0, 1)
    return out


def test_cuda_kernel_plumbing_matches_reference() -> None:
    torch.manual_seed(0)
    model = HNetForCausalLM(HNetConfig.from_dict(DEBUG_2STAGE))
    model.init_weights()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "proj_layer" in name or "residual_proj.weight" in name:
                p.add_(0.2 * torch.randn_like(p))
    model = model.double()
    docs = [torch.randint(0, 256, (n,)) for n in (40, 29, 57)]
    ids = torch.cat(docs)[None]
    cu = torch.tensor([0, 40, 69, 126])
    mask = torch.zeros(2, 57, dtype=torch.bool)
    mask[0, :40] = mask[1, :] = True
    padded = torch.zeros(2, 57, dtype=torch.long)
    padded[0, :40], padded[1] = docs[0], docs[2]

    ref_packed = model(ids, cu_seqlens=cu).logits
    ref_padded = model(padded, mask=mask).logits
    report = BackendReport(device="cpu (stand-ins)", torch_version=torch.__version__, choices=[])
    kernels = CudaKernels(chunk_scan_standin, conv_standin, flash_varlen_standin, report, require_cuda=False)
    for m in model.modules():
        if hasattr(m, "kernels"):
            m.kernels = kernels
    torch.testing.assert_close(model(ids, cu_seqlens=cu).logits, ref_packed, rtol=0, atol=1e-9)
    torch.testing.assert_close(model(padded, mask=mask).logits, ref_padded, rtol=0, atol=1e-9)
    # d_model 64/96/128 and conv channels are multiples of 8 / 32: no per-call fallbacks taken.
    assert not report.runtime_fallbacks
