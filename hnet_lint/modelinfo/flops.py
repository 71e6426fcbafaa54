"""Analytic FLOPs per input byte for an H-Net, forward and training.

Stage `s` runs on a fraction `f_s = 1 / prod_{i<s} N_i` of the bytes, where `N_i` is the
target downsampling ratio of stage `i` (the ratio loss pulls the realised ratio towards it).
With sequence length `L` bytes, stage `s` sees `L_s = L * f_s` positions per sequence.

Per position at stage `s` (one FLOP = one multiply or one add; a multiply-add is 2):

- matmul: `2 * W_s`, where `W_s` is the number of weights in the stage's `nn.Linear` layers
  (Mamba2 in_proj/out_proj, attention Wqkv/out_proj, SwiGLU fc1/fc2, routing q/k,
  residual_proj). Inner stages are counted at their own rate, not the parent's.
- attention scores: per t/T layer `4 * L_eff * D` (QK^T and PV, each `2 * L_eff * D`), where
  `L_eff` is the mean number of attended keys: `(L_s + 1) / 2` for global causal attention, and
  for a window `w` (w previous positions plus self) `((w+1)(w+2)/2 + (L_s-w-1)(w+1)) / L_s`
  when `w + 1 < L_s`.
- SSD scan: per m/M layer `2*Q*(d_inner + G*N) + 4*N*d_inner`, with chunk `Q = min(chunk_size,
  L_s)`, `N = d_state`, `G = 1`. The first term is the intra-chunk quadratic part (C B^T per
  group, then the masked (Q x Q) matrix times X per head; the kernel computes full blocks, so the
  causal mask does not halve it); the second is the state-size part: chunk states B^T X and the
  state-to-output product C h, each `2*N*d_inner`. Inter-chunk state passing is
  `O(N*d_inner/Q)` and ignored.

Plus `2 * V * D_0` per byte for `lm_head`. Not counted: the embedding lookup, RMSNorms, the
depthwise conv1d (`2*K` per channel), gating and other element-wise work, the routing cosine and
the DeChunk EMA (a d_state-1 scan), all well under 1% at the official sizes. Training is taken
as 3x forward (backward = 2x forward), with no activation recomputation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .params import LINEAR_SUFFIXES, numel, stage_part_shapes
from .spec import ModelSpec, StageSpec

__all__ = [
    "FlopsEstimate",
    "StageFlops",
    "attention_flops_per_token",
    "estimate_flops",
    "mean_attended_length",
    "ssd_flops_per_token",
    "stage_byte_fractions",
]

TRAIN_FORWARD_MULTIPLE = 3  # forward + backward (about twice the forward)


@dataclass(frozen=True)
class StageFlops:
    """Forward FLOPs of one stage: per position at that stage, and per input byte."""

    index: int
    bytes_fraction: float
    positions_per_seq: float
    matmul_per_position: int
    attention_per_position: float
    ssd_per_position: float
    forward_per_byte: float


@dataclass(frozen=True)
class FlopsEstimate:
    """FLOPs per input byte for one sequence length and set of target ratios."""

    seq_len: int
    target_ratios: tuple[float, ...]
    stages: tuple[StageFlops, ...]
    lm_head_per_byte: int
    forward_per_byte: float
    train_per_byte: float
    train_per_sequence: float


def stage_byte_fractions(target_ratios: Sequence[float], num_stages: int) -> list[float]:
    """`f_s = 1 / prod_{i<s} N_i` for s = 0..S; needs exactly S finite ratios >= 1."""
    ratios = list(target_ratios)
    if len(ratios) != num_stages:
        raise ValueError(f"got {len(ratios)} target ratio(s); the model has {num_stages} chunking stage(s)")
    fractions = [1.0]
    for s, ratio in enumerate(ratios):
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)):
            raise ValueError(f"target ratio for stage {s} must be a number, got {ratio!r}")
        if not math.isfinite(ratio) or ratio < 1:
            raise ValueError(f"target ratio for stage {s} must be finite and >= 1, got {ratio}")
        fractions.append(fractions[-1] / ratio)
    return fractions


def mean_attended_length(length: float, window: int | None) -> float:
    """Mean number of keys a causal query attends to over `length` positions.

    `window` is flash-attn's left window (w previous positions plus self); None or a negative
    value means global, and so does any `w + 1 >= length`.
    """
    if window is None or window < 0 or window + 1 >= length:
        return (length + 1) / 2
    w1 = window + 1
    return (w1 * (w1 + 1) / 2 + (length - w1) * w1) / length


def attention_flops_per_token(stage: StageSpec, length: float) -> float:
    """Score and value FLOPs per position, summed over the stage's t/T layers."""
    layers = sum(1 for b in stage.blocks if b in "tT")
    return layers * 4 * mean_attended_length(length, stage.window_size) * stage.d_model


def ssd_flops_per_token(stage: StageSpec, length: float) -> float:
    """SSD scan FLOPs per position, summed over the stage's m/M layers (formula in module doc)."""
    layers = sum(1 for b in stage.blocks if b in "mM")
    ssm = stage.ssm
    d_inner = ssm.d_inner(stage.d_model)
    chunk = min(ssm.chunk_size, length)
    per_layer = 2 * chunk * (d_inner + ssm.ngroups * ssm.d_state) + 4 * ssm.d_state * d_inner
    return layers * per_layer


def _linear_weights(stage: StageSpec) -> int:
    return sum(
        numel(shape)
        for named in stage_part_shapes(stage).values()
        for name, shape in named
        if name.endswith(LINEAR_SUFFIXES)
    )


def estimate_flops(spec: ModelSpec, target_ratios: Sequence[float], seq_len: int) -> FlopsEstimate:
    """Forward and training FLOPs per byte; see the module docstring for every term."""
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or seq_len < 1:
        raise ValueError(f"seq_len must be a positive integer, got {seq_len!r}")
    fractions = stage_byte_fractions(target_ratios, spec.num_stages)
    stages = []
    for stage, fraction in zip(spec.stages, fractions):
        length = seq_len * fraction
        matmul = 2 * _linear_weights(stage)
        attn = attention_flops_per_token(stage, length)
        ssd = ssd_flops_per_token(stage, length)
        stages.append(
            StageFlops(stage.index, fraction, length, matmul, attn, ssd, fraction * (matmul + attn + ssd))
        )
    lm_head = 2 * spec.vocab_size * spec.stages[0].d_model
    forward = lm_head + sum(s.forward_per_byte for s in stages)
    train = TRAIN_FORWARD_MULTIPLE * forward
    return FlopsEstimate(
        seq_len=seq_len,
        target_ratios=tuple(float(r) for r in target_ratios),
        stages=tuple(stages),
        lm_head_per_byte=lm_head,
        forward_per_byte=forward,
        train_per_byte=train,
        train_per_sequence=train * seq_len,
    )
