"""The official H-Net model config (``configs/*.json`` of goombalab/hnet).

The official loader builds ``SSMConfig(**json["ssm_cfg"])`` and ``AttnConfig(**...)``, so
these two are closed: an extra key such as ``headdim`` raises TypeError before training
starts. Per-stage values are lists indexed by stage, outermost first.
"""

# (no __future__ annotations: pydantic would have to eval strings at build time)

from typing import Any, Union

from pydantic import Field

from .base import PosInt, Strict

__all__ = ["SSMConfig", "AttnConfig", "HNetModelConfig"]

IntOrList = Union[int, list[int]]


class SSMConfig(Strict):
    """Mamba-2 settings. A scalar applies to every stage; a list is indexed per stage."""

    d_conv: IntOrList = 4
    """Width of the depthwise causal convolution (causal-conv1d supports 2, 3 or 4)."""
    expand: IntOrList = 2
    """Inner width multiplier: d_inner = expand * d_model; Mamba-2 head dim is fixed at 64."""
    d_state: IntOrList = 128
    """State size N of each Mamba-2 head."""
    chunk_size: IntOrList = 256
    """Block length of the chunked SSD scan (a kernel tiling choice, not a model change)."""


class AttnConfig(Strict):
    """Causal attention settings, one entry per stage even for stages without attention."""

    num_heads: list[int] = Field(default_factory=list)
    """Attention heads per stage; head_dim = d_model / num_heads."""
    rotary_emb_dim: list[int] = Field(default_factory=list)
    """Rotary embedding dims per stage (applied to the first dims of each head)."""
    window_size: list[int] = Field(default_factory=list)
    """Sliding window per stage in that stage's positions (-1 for global attention)."""


class HNetModelConfig(Strict):
    """An H-Net architecture: the nested layout plus per-stage widths."""

    arch_layout: list[Any]
    """Nested stage layout, e.g. ``["m4", ["T1m4", ["T27"], "m4T1"], "m4"]``: each stage is
    ``[encoder, inner, decoder]`` or ``[main]`` (innermost); strings are runs of
    ``m``/``M`` (Mamba-2 without/with SwiGLU) and ``t``/``T`` (attention without/with SwiGLU)
    followed by a layer count."""
    d_model: list[PosInt]
    """Residual width per stage, outermost first; must not decrease inwards."""
    d_intermediate: list[int]
    """SwiGLU hidden width per stage (0 = no MLP); rounded up to a multiple of 128."""
    vocab_size: PosInt = 256
    """Vocabulary size; byte-level models need at least 256."""
    ssm_cfg: SSMConfig = Field(default_factory=SSMConfig)
    """Mamba-2 settings (closed: only the official keys)."""
    attn_cfg: AttnConfig = Field(default_factory=AttnConfig)
    """Attention settings (closed: only the official keys)."""
    tie_embeddings: bool = False
    """Share the embedding matrix with the LM head."""
