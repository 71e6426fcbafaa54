"""Pure-torch kernels against naive float64 loops, plus gradchecks on tiny float64 instances."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from hnet_lint.model.attention import CausalMHA
from hnet_lint.model.dc import ChunkLayer, DeChunkLayer, RoutingModule
from hnet_lint.model.mamba2 import Mamba2
from hnet_lint.model.sequence import SeqInfo
from hnet_lint.model.ssd import causal_conv1d, ema_scan, ssd_scan

f64 = torch.float64


def naive_ssm(x, log_a, B, C, reset=None):
    """S_t = a_t S_{t-1} + B_t x_t^T, y_t = S_t C_t, one step at a time."""
    b, l, h, p = x.shape
    g, n = B.shape[-2:]
    S = torch.zeros(b, h, p, n, dtype=f64)
    ys = []
    for t in range(l):
        a = log_a[:, t].exp()
        if reset is not None:
            a = torch.where(reset[:, t, None], torch.zeros_like(a), a)
        Bt = B[:, t].repeat_interleave(h // g, dim=1)
        Ct = C[:, t].repeat_interleave(h // g, dim=1)
        S = a[..., None, None] * S + Bt[:, :, None, :] * x[:, t, :, :, None]
        ys.append((S * Ct[:, :, None, :]).sum(-1))
    return torch.stack(ys, dim=1)


def doc_resets(b: int, l: int, starts: list[list[int]]) -> torch.Tensor:
    reset = torch.zeros(b, l, dtype=torch.bool)
    reset[:, 0] = True
    for row, ss in enumerate(starts):
        reset[row, ss] = True
    return reset


@pytest.mark.parametrize("chunk", [1, 8, 16, 64])
def test_ssd_matches_sequential_recurrence(chunk: int) -> None:
    torch.manual_seed(0)
    b, l, h, p, g, n = 2, 45, 4, 3, 2, 5  # l not a multiple of any chunk size > 1
    x = torch.randn(b, l, h, p, dtype=f64)
    log_a = -torch.rand(b, l, h, dtype=f64) * 2
    B, C = torch.randn(b, l, g, n, dtype=f64), torch.randn(b, l, g, n, dtype=f64)
    reset = doc_resets(b, l, [[8, 16, 17], [30]])  # boundaries at and around chunk edges
    torch.testing.assert_close(ssd_scan(x, log_a, B, C, chunk, reset), naive_ssm(x, log_a, B, C, reset))
    torch.testing.assert_close(ssd_scan(x, log_a, B, C, chunk), naive_ssm(x, log_a, B, C))


def test_ssd_resets_equal_separate_documents() -> None:
    torch.manual_seed(1)
    l1, l2 = 19, 26
    x = torch.randn(1, l1 + l2, 2, 4, dtype=f64)
    log_a = -torch.rand(1, l1 + l2, 2, dtype=f64)
    B, C = torch.randn(1, l1 + l2, 1, 3, dtype=f64), torch.randn(1, l1 + l2, 1, 3, dtype=f64)
    seq = SeqInfo.from_cu_seqlens(torch.tensor([0, l1, l1 + l2]))
    joint = ssd_scan(x, log_a, B, C, 8, seq.seg_start)
    first = ssd_scan(x[:, :l1], log_a[:, :l1], B[:, :l1], C[:, :l1], 8)
    second = ssd_scan(x[:, l1:], log_a[:, l1:], B[:, l1:], C[:, l1:], 8)
    torch.testing.assert_close(joint, torch.cat([first, second], dim=1))


def test_mamba2_forward_matches_naive_pipeline() -> None:
    torch.manual_seed(2)
    m = Mamba2(32, d_state=8, headdim=16, chunk_size=8).double()
    u = torch.randn(1, 21, 32, dtype=f64)
    seq = SeqInfo.from_cu_seqlens(torch.tensor([0, 9, 21]))
    out = m(u, seq)
    # Naive: run the two documents separately through torch's own Conv1d and a sequential scan.
    outs = []
    for lo, hi in ((0, 9), (9, 21)):
        z, xBC, dt = torch.split(m.in_proj(u[:, lo:hi]), [64, 64 + 16, 4], dim=-1)
        xBC = F.silu(m.conv1d(xBC.transpose(1, 2))[..., : hi - lo].transpose(1, 2))
        x, B, C = torch.split(xBC, [64, 8, 8], dim=-1)
        delta = F.softplus(dt + m.dt_bias)
        A = -torch.exp(m.A_log)
        x = x.reshape(1, hi - lo, 4, 16)
        y = naive_ssm(x * delta[..., None], delta * A, B[:, :, None], C[:, :, None])
        y = (y + x * m.D[:, None]).reshape(1, hi - lo, 64)
        gated = y * F.silu(z)
        gated = gated * torch.rsqrt(gated.pow(2).mean(-1, keepdim=True) + 1e-5) * m.norm.weight
        outs.append(m.out_proj(gated))
    torch.testing.assert_close(out, torch.cat(outs, dim=1))


def test_causal_conv_matches_torch_conv1d_per_document() -> None:
    torch.manual_seed(3)
    conv = torch.nn.Conv1d(6, 6, 4, groups=6, padding=3).double()
    x = torch.randn(1, 17, 6, dtype=f64)
    seg = SeqInfo.from_cu_seqlens(torch.tensor([0, 2, 10, 17])).segment
    out = causal_conv1d(x, conv.weight.squeeze(1), conv.bias, seg)
    ref = [conv(x[:, lo:hi].transpose(1, 2))[..., : hi - lo].transpose(1, 2) for lo, hi in ((0, 2), (2, 10), (10, 17))]
    torch.testing.assert_close(out, torch.cat(ref, dim=1))


def test_ema_matches_loop_with_resets() -> None:
    torch.manual_seed(4)
    h = torch.randn(2, 23, 5, dtype=f64)
    p = torch.rand(2, 23, dtype=f64).clamp(1e-4, 1 - 1e-4)
    reset = doc_resets(2, 23, [[7], [11, 12]])
    z = torch.zeros(2, 5, dtype=f64)
    ref = []
    for t in range(23):
        keep = (~reset[:, t]).to(f64)[:, None]
        z = p[:, t, None] * h[:, t] + (1 - p[:, t, None]) * z * keep
        ref.append(z)
    torch.testing.assert_close(ema_scan(h, p, reset, chunk_size=4), torch.stack(ref, dim=1))


def naive_attention(mha: CausalMHA, x: torch.Tensor, doc_of: list[int]) -> torch.Tensor:
    """Explicit softmax over allowed keys; rotary built from complex rotations per position."""
    L, H, Dh, r = x.shape[1], mha.num_heads, mha.head_dim, mha.rotary_emb_dim
    q, k, v = mha.Wqkv(x[0]).reshape(L, 3, H, Dh).unbind(1)
    pos = [t - doc_of.index(doc_of[t]) for t in range(L)]
    def rot(t: torch.Tensor) -> torch.Tensor:
        out = t.clone()
        for i in range(L):
            for j in range(r // 2):
                theta = pos[i] * 10000.0 ** (-2 * j / r)
                c = complex(math.cos(theta), math.sin(theta))
                a, b = t[i, :, j], t[i, :, j + r // 2]
                out[i, :, j] = a * c.real - b * c.imag
                out[i, :, j + r // 2] = a * c.imag + b * c.real
        return out
    q, k = rot(q), rot(k)
    outs = torch.zeros(L, H, Dh, dtype=x.dtype)
    w = mha.window_size
    for i in range(L):
        keys = [j for j in range(i + 1) if doc_of[j] == doc_of[i] and (w < 0 or i - j <= w)]
        s = torch.einsum("hd,jhd->hj", q[i], k[keys]) / math.sqrt(Dh)
        outs[i] = torch.einsum("hj,jhd->hd", s.softmax(-1), v[keys])
    return mha.out_proj(outs.reshape(1, L, H * Dh))


@pytest.mark.parametrize("window", [-1, 0, 3])
def test_attention_matches_naive_softmax(window: int) -> None:
    torch.manual_seed(5)
    mha = CausalMHA(16, 2, rotary_emb_dim=4, window_size=window).double()
    x = torch.randn(1, 13, 16, dtype=f64)
    cu = torch.tensor([0, 5, 13])
    doc_of = [0] * 5 + [1] * 8
    torch.testing.assert_close(mha(x, SeqInfo.from_cu_seqlens(cu)), naive_attention(mha, x, doc_of))


# ------------------------------------------------------------------------------ gradchecks
def test_gradcheck_ssd() -> None:
    torch.manual_seed(6)
    b, l, h, p, n = 1, 7, 2, 2, 3
    args = (torch.randn(b, l, h, p, dtype=f64), -torch.rand(b, l, h, dtype=f64),
            torch.randn(b, l, 1, n, dtype=f64), torch.randn(b, l, 1, n, dtype=f64))
    reset = doc_resets(b, l, [[4]])
    args = tuple(a.requires_grad_() for a in args)
    assert torch.autograd.gradcheck(lambda x, la, B, C: ssd_scan(x, la, B, C, 3, reset), args)


def test_gradcheck_conv() -> None:
    torch.manual_seed(7)
    x = torch.randn(1, 9, 3, dtype=f64, requires_grad=True)
    w = torch.randn(3, 4, dtype=f64, requires_grad=True)
    bias = torch.randn(3, dtype=f64, requires_grad=True)
    seg = SeqInfo.from_cu_seqlens(torch.tensor([0, 4, 9])).segment
    assert torch.autograd.gradcheck(lambda x, w, b: causal_conv1d(x, w, b, seg), (x, w, bias))


def test_gradcheck_attention() -> None:
    torch.manual_seed(8)
    mha = CausalMHA(8, 2, rotary_emb_dim=2, window_size=2).double()
    seq = SeqInfo.from_cu_seqlens(torch.tensor([0, 3, 7]))
    x = torch.randn(1, 7, 8, dtype=f64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: mha(x, seq), (x,))


def test_gradcheck_routing_chunk_dechunk() -> None:
    torch.manual_seed(9)
    d = 4
    router = RoutingModule(d).double()
    with torch.no_grad():  # a non-identity router so the probabilities are generic
        router.q_proj_layer.weight.add_(0.3 * torch.randn(d, d, dtype=f64))
    seq = SeqInfo.from_cu_seqlens(torch.tensor([0, 5, 9]))
    h = torch.randn(1, 9, d, dtype=f64)
    mask = router(h, seq).boundary_mask  # the hard decisions are held fixed during the check

    def f(h: torch.Tensor, inner_scale: torch.Tensor) -> torch.Tensor:
        r = router(h, seq)
        assert torch.equal(r.boundary_mask, mask)
        chunks, idx, cseq = ChunkLayer()(h, r.boundary_mask, seq)
        z = DeChunkLayer(d, block_size=2)(chunks * inner_scale, r.boundary_mask, r.boundary_prob, idx, cseq)
        return z * r.selected_probs[..., None]

    assert torch.autograd.gradcheck(f, (h.requires_grad_(), torch.tensor(1.3, dtype=f64, requires_grad=True)))
