"""Training helpers: the ratio (load-balancing) loss and optimizer parameter groups.

Ratio loss (paper eq. 10; upstream ``load_balancing_loss``), with target compression N:
    F = mean(b_t)   fraction of positions selected as boundaries (no gradient)
    G = mean(p_t)   mean boundary probability (carries the gradient)
    L_ratio = N/(N-1) · ((N-1)·F·G + (1-F)·(1-G))
It equals 1 whenever F = 1/N. Upstream averages over every position, padding included; pass
``valid`` to average over real tokens only.

Parameter groups: :func:`group_params_official` reproduces upstream ``group_params`` exactly,
including its weight-decay gaps (only names ending ".bias" or containing ".norm." are exempt, so
``norm1``/``norm2``/``rmsnorm`` gains, ``dt_bias``, ``A_log``, ``D``, ``pad_dimension`` and the
embeddings are decayed) and its ``lr_multiplier``-not-``lr`` groups.
:func:`group_params_corrected` exempts every bias, every 1-D tensor and everything flagged
``_no_weight_decay``, and can fold the multiplier into ``lr``.
"""

from __future__ import annotations

from typing import Any, Optional

import torch.nn as nn
from torch import Tensor

__all__ = ["ratio_loss", "group_params_official", "group_params_corrected", "no_decay_reason"]


def ratio_loss(boundary_mask: Tensor, boundary_prob: Tensor, N: float, valid: Optional[Tensor] = None) -> Tensor:
    """L_ratio for one stage. boundary_mask (B, L) bool, boundary_prob (B, L) = p_t; scalar out."""
    if not N > 1:
        raise ValueError(f"target downsampling N must be > 1, got {N}")
    if boundary_prob.dim() == boundary_mask.dim() + 1:  # upstream's stacked [1-p, p] form
        boundary_prob = boundary_prob[..., -1]
    b = boundary_mask.float()
    p = boundary_prob.float()
    if valid is None:
        F_, G = b.mean(), p.mean()
    else:
        w = valid.float()
        denom = w.sum().clamp(min=1.0)
        F_, G = (b * w).sum() / denom, (p * w).sum() / denom
    return N / (N - 1) * ((N - 1) * F_ * G + (1 - F_) * (1 - G))


def _optim_of(name: str, p: nn.Parameter) -> dict:
    if not hasattr(p, "_optim"):
        # Upstream raises AttributeError here too; call model.apply_lr_multiplier(...) first.
        raise AttributeError(f"parameter {name!r} has no _optim tags; call apply_lr_multiplier first")
    return dict(p._optim)


def _group(named: list[tuple[str, nn.Parameter, dict]], with_names: bool) -> list[dict[str, Any]]:
    # Group by identical option dicts, in order of first appearance (as upstream).
    keys: list[tuple] = []
    groups: list[dict[str, Any]] = []
    for name, p, opts in named:
        key = tuple(sorted(opts.items()))
        if key not in keys:
            keys.append(key)
            groups.append({"params": [], **opts, **({"names": []} if with_names else {})})
        g = groups[keys.index(key)]
        g["params"].append(p)
        if with_names:
            g["names"].append(name)
    return groups


def group_params_official(model: nn.Module, with_names: bool = False) -> list[dict[str, Any]]:
    """Upstream ``hnet/utils/train.py::group_params``, rule for rule.

    Differences: does not mutate ``param._optim`` (upstream writes ``weight_decay=0.0`` into it),
    so both helpers can be called on one model; ``with_names`` adds a ``names`` list per group.
    Groups carry ``lr_multiplier``; a plain AdamW ignores it (every stage trains at base LR).
    """
    named = []
    for name, p in model.named_parameters():
        opts = _optim_of(name, p)
        if name.endswith(".bias") or ".norm." in name:
            opts["weight_decay"] = 0.0
        named.append((name, p, opts))
    return _group(named, with_names)


def no_decay_reason(name: str, p: Tensor) -> Optional[str]:
    """Why the corrected grouping exempts ``p`` from weight decay (None = decayed)."""
    if getattr(p, "_no_weight_decay", False):
        return "_no_weight_decay"  # Mamba's A_log, dt_bias, D
    if name.endswith("bias"):
        return "bias"
    if name.endswith("pad_dimension"):
        return "pad_dimension"
    if p.dim() < 2:
        return "1-D gain"
    return None


def group_params_corrected(
    model: nn.Module,
    base_lr: Optional[float] = None,
    weight_decay: Optional[float] = None,
    with_names: bool = False,
) -> list[dict[str, Any]]:
    """Like the official grouping, but exempt biases, 1-D gains, A_log, dt_bias, D, pad_dimension.

    If ``base_lr`` is given each group also gets ``lr = base_lr · lr_multiplier`` (a scheduler must
    keep that ratio); if ``weight_decay`` is given it is set explicitly on decayed groups.
    """
    named = []
    for name, p in model.named_parameters():
        opts = _optim_of(name, p)
        if no_decay_reason(name, p) is not None:
            opts["weight_decay"] = 0.0
        elif weight_decay is not None:
            opts["weight_decay"] = weight_decay
        if base_lr is not None:
            opts["lr"] = base_lr * opts.get("lr_multiplier", 1.0)
        named.append((name, p, opts))
    return _group(named, with_names)

