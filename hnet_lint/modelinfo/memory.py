"""Rough training-memory estimate for one device: weights, gradients, AdamW state, activations.

Assumptions (say so when quoting the numbers):

- Weights are stored in `param_dtype`, except the tensors the official code forces to fp32:
  `*.residual_proj.*` (created with `dtype=torch.float32`) and Mamba2's `*.mixer.D` (created
  without a dtype). A tied embedding is stored once.
- Gradients have the dtype of their parameter.
- Plain `torch.optim.AdamW`: `exp_avg` and `exp_avg_sq` are `zeros_like(param)`, so the state is
  2x the weight bytes in each tensor's own dtype, with **no fp32 master copy**. Mixed-precision
  frameworks that keep fp32 masters and fp32 moments for bf16 weights need about
  `12 bytes/param` on top of the bf16 weights and gradients instead.
- Activations are what autograd keeps for the backward pass with no checkpointing, counted per
  position at each stage and scaled by the fraction of bytes the stage sees (see `flops`). With
  `a` = bytes of the compute dtype (`autocast_dtype`, or `param_dtype` without autocast) and
  the residual stream in fp32 (`residual_in_fp32=True`), per position:
    - every RMSNorm inside a block: `4*D` (fp32 residual) + `a*D` (normed output)
    - Mamba2 mixer: `a * (in_proj out 2*d_inner+2*N+h + conv out d_inner+2*N + scan out d_inner
      + gated-norm out d_inner)`
    - attention mixer: `a * (qkv 3*D + output D)` (flash-attn keeps no score matrix)
    - SwiGLU: `a * (fc1 out 2*F' + gated product F')`
    - each Isotropic's final RMSNorm output: `a*D`
    - outer stage extras: routing q/k `a*2*D`, residual_proj input and output `4*2*D`, DeChunk
      output `a*D`
  and per byte, the logits `a*V` plus an fp32 copy `4*V` for the cross-entropy.
  Treat the result as accurate to within about 2x; it ignores the CUDA context, allocator
  fragmentation, kernel workspaces and transient buffers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .flops import stage_byte_fractions
from .params import numel, spec_shapes
from .spec import ModelSpec, StageSpec

__all__ = ["DTYPE_BYTES", "MemoryEstimate", "activation_bytes_per_position", "estimate_memory"]

DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}
FP32_RESIDUAL = 4  # the residual stream and residual_proj run in fp32
# Tensors the official code builds in fp32 whatever dtype the model is built with.
_FP32_FORCED = (".residual_proj.weight", ".residual_proj.bias", ".mixer.D")


@dataclass(frozen=True)
class MemoryEstimate:
    """Bytes for one training step on one device; `total_bytes` sums the four parts."""

    batch_size: int
    seq_len: int
    param_dtype: str
    autocast_dtype: str | None
    param_bytes: int
    grad_bytes: int
    optimizer_bytes: int
    activation_bytes: int
    stage_activation_bytes: tuple[int, ...]
    logits_bytes: int
    total_bytes: int


def _dtype_size(name: str | None, what: str) -> int:
    if name not in DTYPE_BYTES:
        raise ValueError(f"{what} must be one of {sorted(DTYPE_BYTES)}, got {name!r}")
    return DTYPE_BYTES[name]


def weight_bytes(spec: ModelSpec, param_dtype: str) -> int:
    """Bytes of all weights, keeping the fp32-forced tensors at 4 bytes."""
    size = _dtype_size(param_dtype, "param_dtype")
    total = 0
    for name, shape in spec_shapes(spec, dedupe_tied=True).items():
        total += numel(shape) * (4 if name.endswith(_FP32_FORCED) else size)
    return total


def activation_bytes_per_position(stage: StageSpec, act: int) -> int:
    """Saved-activation bytes per position at one stage (terms in the module docstring)."""
    d, ssm = stage.d_model, stage.ssm
    d_inner, n = ssm.d_inner(d), ssm.ngroups * ssm.d_state
    heads = ssm.nheads(d) or 0
    norm = FP32_RESIDUAL * d + act * d
    mamba = act * ((2 * d_inner + 2 * n + heads) + (d_inner + 2 * n) + 2 * d_inner)
    attention = act * 4 * d
    mlp = norm + act * 3 * stage.d_ff
    total = 0
    for letter in stage.blocks:
        total += norm + (mamba if letter in "mM" else attention)
        total += mlp if letter.isupper() else 0
    total += act * d * len(stage.isos)
    if not stage.innermost:
        total += act * 2 * d + FP32_RESIDUAL * 2 * d + act * d
    return total


def estimate_memory(
    spec: ModelSpec,
    *,
    batch_size: int,
    seq_len: int,
    target_ratios: Sequence[float],
    param_dtype: str = "float32",
    autocast_dtype: str | None = "bfloat16",
) -> MemoryEstimate:
    """Estimate training memory; `autocast_dtype=None` means no autocast."""
    for value, what in ((batch_size, "batch_size"), (seq_len, "seq_len")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{what} must be a positive integer, got {value!r}")
    params = weight_bytes(spec, param_dtype)
    act = _dtype_size(autocast_dtype if autocast_dtype is not None else param_dtype, "autocast_dtype")
    fractions = stage_byte_fractions(target_ratios, spec.num_stages)
    n_bytes = batch_size * seq_len
    per_stage = tuple(
        round(n_bytes * f * activation_bytes_per_position(stage, act))
        for stage, f in zip(spec.stages, fractions)
    )
    logits = n_bytes * spec.vocab_size * (act + 4)
    activations = sum(per_stage) + logits
    return MemoryEstimate(
        batch_size=batch_size,
        seq_len=seq_len,
        param_dtype=param_dtype,
        autocast_dtype=autocast_dtype,
        param_bytes=params,
        grad_bytes=params,
        optimizer_bytes=2 * params,
        activation_bytes=activations,
        stage_activation_bytes=per_stage,
        logits_bytes=logits,
        total_bytes=4 * params + activations,
    )
