"""The tiny 2-stage H-Net learns real English text on CPU within 200 AdamW steps."""

from __future__ import annotations

import math
import time
from collections import Counter

import torch
import torch.nn.functional as F

from hnet_lint.model.config import DEBUG_2STAGE, HNetConfig
from hnet_lint.model.hnet import HNetForCausalLM
from hnet_lint.model.training import group_params_corrected, ratio_loss


def english_bytes() -> torch.Tensor:
    from pydoc_data.topics import topics  # stdlib: Python's help texts, plain English

    return torch.tensor(list("\n".join(topics[k] for k in sorted(topics)).encode("utf-8")), dtype=torch.long)


def unigram_entropy(data: torch.Tensor) -> float:
    counts = Counter(data.tolist())
    n = len(data)
    return -sum(c / n * math.log(c / n) for c in counts.values())


def test_tiny_hnet_learns_english() -> None:
    # conftest.py pins one intra-op thread; this test takes ~25 s that way on the 2-core CI box.
    torch.manual_seed(0)
    data = english_bytes()
    split = int(0.9 * len(data))
    train, held_out = data[:split], data[split:]
    H = unigram_entropy(train)
    assert 3.0 < H < 3.6  # nats/byte

    model = HNetForCausalLM(HNetConfig.from_dict(DEBUG_2STAGE))
    model.init_weights(0.02)
    model.apply_lr_multiplier([1.0, 1.0, 1.0])
    opt = torch.optim.AdamW(group_params_corrected(model, base_lr=3e-3, weight_decay=0.1),
                            lr=3e-3, betas=(0.9, 0.95), eps=1e-8)
    base_lrs = [g["lr"] for g in opt.param_groups]
    B, L, steps, warmup, alpha, N = 6, 160, 200, 20, 0.03, 3.0
    gen = torch.Generator().manual_seed(0)

    def batch(src: torch.Tensor) -> torch.Tensor:
        starts = torch.randint(0, len(src) - L - 1, (B,), generator=gen)
        return torch.stack([src[s : s + L + 1] for s in starts])  # (B, L+1)

    t0 = time.perf_counter()
    losses = []
    for step in range(steps):
        for g, lr in zip(opt.param_groups, base_lrs):
            g["lr"] = lr * min(1.0, (step + 1) / warmup)
        x = batch(train)
        out = model(x[:, :-1])
        ce = F.cross_entropy(out.logits.reshape(-1, 256), x[:, 1:].reshape(-1))
        aux = sum(ratio_loss(r.boundary_mask, r.boundary_prob, N) for r in out.routers)
        (ce + alpha * aux).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        losses.append(ce.item())
    elapsed = time.perf_counter() - t0

    model.eval()
    with torch.no_grad():
        x = torch.stack([batch(held_out) for _ in range(4)]).reshape(-1, L + 1)
        eval_out = model(x[:, :-1])
        eval_ce = F.cross_entropy(eval_out.logits.reshape(-1, 256), x[:, 1:].reshape(-1)).item()
        rates = [r.boundary_mask.float().mean().item() for r in eval_out.routers]
    final = sum(losses[-20:]) / 20
    print(f"unigram H={H:.3f} first={losses[0]:.3f} final(train, last 20)={final:.3f} "
          f"held-out={eval_ce:.3f} boundary rates={rates} time={elapsed:.1f}s")
    assert all(math.isfinite(v) for v in losses)
    assert final < H - 0.4, (final, H)
    assert eval_ce < H - 0.3, (eval_ce, H)
    assert all(0.0 < r < 1.0 for r in rates)  # the routers neither collapsed nor saturated
