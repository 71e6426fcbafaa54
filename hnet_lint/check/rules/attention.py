"""Attention constraints at stages that have t/T layers (codes HNL111-HNL116)."""

from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..engine import RuleContext, rule
from ...load.runconfig import RunConfig

MAX_HEAD_DIM = 256  # flash-attn's limit


def _attention_stages(run: RunConfig) -> Iterator[tuple[int, int, int | None]]:
    """(stage, d_model, num_heads or None) for every stage with attention layers."""
    if run.model is None or run.layout is None:
        return
    heads = run.model.attn_cfg.num_heads
    for stage in run.layout.stages:
        s = stage.index
        if stage.has_attention and s < len(run.model.d_model):
            yield s, run.model.d_model[s], heads[s] if s < len(heads) else None


def _head_dim(width: int, heads: int | None) -> int | None:
    if heads is None or heads <= 0 or width % heads:
        return None
    return width // heads


@rule("HNL111", "attention-heads-indivisible", Severity.ERROR, "attention")
def heads_indivisible(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`d_model` not divisible by `num_heads` at a stage with attention.

    ## Why it matters
    The attention layer splits the width into equal heads and asserts divisibility when
    the model is built.

    ## Example
    ```yaml
    d_model: [1024, 1536]
    attn_cfg: {num_heads: [16, 20]}
    ```

    ## Use instead
    ```yaml
    attn_cfg: {num_heads: [16, 16]}     # head_dim 96
    ```
    """
    for s, width, heads in _attention_stages(run):
        if heads is not None and (heads <= 0 or width % heads):
            yield ctx.at(("model", "attn_cfg", "num_heads", s),
                         f"stage {s}: d_model {width} is not divisible by num_heads {heads}")


@rule("HNL112", "attention-head-dim-too-large", Severity.ERROR, "attention")
def head_dim_too_large(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Attention head dimension above 256.

    ## Why it matters
    flash-attn, which H-Net trains with, supports head dimensions up to 256.

    ## Example
    ```yaml
    d_model: [1024, 2048]
    attn_cfg: {num_heads: [16, 4]}      # head_dim 512
    ```

    ## Use instead
    ```yaml
    attn_cfg: {num_heads: [16, 16]}     # head_dim 128
    ```
    """
    for s, width, heads in _attention_stages(run):
        dim = _head_dim(width, heads)
        if dim is not None and dim > MAX_HEAD_DIM:
            yield ctx.at(("model", "attn_cfg", "num_heads", s),
                         f"stage {s}: head_dim {width}/{heads} = {dim} exceeds flash-attn's "
                         f"{MAX_HEAD_DIM}; use at least {-(-width // MAX_HEAD_DIM)} heads")


@rule("HNL113", "rotary-dim-invalid", Severity.ERROR, "attention")
def rotary_invalid(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`rotary_emb_dim` that is odd, not positive, or larger than the head dimension.

    ## Why it matters
    Rotary embeddings rotate pairs of dimensions inside each head, so the rotary width must
    be even and at most `head_dim`; flash-attn's rotary kernel asserts both.

    ## Example
    ```yaml
    attn_cfg: {num_heads: [16, 16], rotary_emb_dim: [32, 128]}   # head_dim 96 at stage 1
    ```

    ## Use instead
    ```yaml
    attn_cfg: {num_heads: [16, 16], rotary_emb_dim: [32, 48]}    # head_dim / 2
    ```
    """
    rotary = run.model.attn_cfg.rotary_emb_dim if run.model else []
    for s, width, heads in _attention_stages(run):
        if s >= len(rotary):
            continue
        r, dim = rotary[s], _head_dim(width, heads)
        problem = None
        if r <= 0:
            problem = "must be positive"
        elif r % 2:
            problem = "must be even (rotary embeddings rotate pairs of dimensions)"
        elif dim is not None and r > dim:
            problem = f"exceeds head_dim {dim}"
        if problem:
            yield ctx.at(("model", "attn_cfg", "rotary_emb_dim", s),
                         f"stage {s}: rotary_emb_dim {r} {problem}")


@rule("HNL114", "window-size-invalid", Severity.ERROR, "attention")
def window_invalid(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`window_size` other than -1 (global) or a non-negative window.

    ## Why it matters
    `w >= 0` attends to the `w` previous positions of that stage plus itself; `-1` means
    global attention. Other negative values are passed to flash-attn as an invalid window.

    ## Example
    ```yaml
    attn_cfg: {window_size: [1023, -2]}
    ```

    ## Use instead
    ```yaml
    attn_cfg: {window_size: [1023, -1]}
    ```
    """
    windows = run.model.attn_cfg.window_size if run.model else []
    for s, _, _ in _attention_stages(run):
        if s < len(windows) and windows[s] < -1:
            yield ctx.at(("model", "attn_cfg", "window_size", s),
                         f"stage {s}: window_size {windows[s]} is invalid; use -1 for global "
                         "attention or a window of 0 or more positions")


@rule("HNL115", "rotary-dim-not-multiple-of-16", Severity.WARNING, "attention")
def rotary_not_16(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`rotary_emb_dim` that is not a multiple of 16.

    ## Why it matters
    Training works, but the official decoder's cached path (generation after the prompt)
    reads an attribute, `use_flash_attn`, that only exists on the multiple-of-16 path, and
    crashes with AttributeError at the second generated byte. Every official config uses
    `head_dim / 2`, a multiple of 16.

    ## Example
    ```yaml
    attn_cfg: {rotary_emb_dim: [32, 40]}
    ```

    ## Use instead
    ```yaml
    attn_cfg: {rotary_emb_dim: [32, 48]}
    ```
    """
    rotary = run.model.attn_cfg.rotary_emb_dim if run.model else []
    for s, _, _ in _attention_stages(run):
        if s < len(rotary) and rotary[s] > 0 and rotary[s] % 2 == 0 and rotary[s] % 16:
            yield ctx.at(("model", "attn_cfg", "rotary_emb_dim", s),
                         f"stage {s}: rotary_emb_dim {rotary[s]} is not a multiple of 16; "
                         "official decoding crashes after the prompt")


@rule("HNL116", "attention-at-stage-zero", Severity.WARNING, "attention")
def attention_stage_zero(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """Attention layers at stage 0 (the byte level).

    ## Why it matters
    In packed training the official model passes `max_seqlen` to stage 0 as a 0-d tensor,
    and the attention layer asserts it is an int, so training crashes. Inner stages get an
    int from the chunk layer. Byte-level attention is also quadratic in bytes, which is what
    H-Net's Mamba encoders avoid; every official config has only Mamba at stage 0.

    ## Example
    ```yaml
    arch_layout: ["T4", ["T22"], "m4"]
    ```

    ## Use instead
    ```yaml
    arch_layout: ["m4", ["T22"], "m4"]
    ```
    """
    if run.layout is None:
        return
    stage = run.layout.stages[0]
    if not stage.has_attention:
        return
    if run.layout.num_stages == 0:
        places = [("model", "arch_layout", 0)]
    else:  # point at the encoder and/or decoder string that holds the attention
        places = [("model", "arch_layout", index) for index, part in
                  ((0, stage.encoder), (2, stage.decoder))
                  if any(letter in "tT" and count > 0 for letter, count in part)]
    for where in places:
        yield ctx.at(where, "attention at stage 0: official packed training asserts "
                            "(max_seqlen is a tensor there); use Mamba layers at the byte level")
