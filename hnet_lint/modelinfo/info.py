"""`ModelInfo`: the analytic summary of an H-Net config (params, structure, init, FLOPs, memory).

Initialisation numbers follow the official `init_weights(0.02)`: every `nn.Linear` weight in
the encoders, decoders and main networks gets std 0.02, except names containing `out_proj` or
`fc2`, which get `0.02 / sqrt(n_res)`. `n_res` accumulates from the outside in: stage `s`
adds its encoder and decoder heights to its parent's value, and the innermost stage adds its
main network's height. A height counts residual additions: 1 per lowercase layer, 2 per
uppercase layer (mixer and MLP).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from .flops import FlopsEstimate, estimate_flops
from .memory import MemoryEstimate, estimate_memory
from .params import StageParams, stage_params
from ..load.official import DECHUNK_HEADDIM
from .spec import IsoSpec, StageSpec, parse_model_config

__all__ = [
    "INITIALIZER_RANGE",
    "ComponentInfo",
    "LayerCounts",
    "ModelInfo",
    "StageInfo",
    "build_model_info",
    "default_target_ratios",
]

INITIALIZER_RANGE = 0.02  # the official default for init_weights


@dataclass(frozen=True)
class LayerCounts:
    """Layers by letter: m = Mamba2, M = Mamba2 + SwiGLU, t = attention, T = attention + SwiGLU."""

    m: int
    M: int
    t: int
    T: int

    @classmethod
    def of(cls, blocks: Sequence[str]) -> LayerCounts:
        """Count the letters of a block list."""
        return cls(*(sum(1 for b in blocks if b == letter) for letter in "mMtT"))


@dataclass(frozen=True)
class ComponentInfo:
    """One Isotropic sub-network of a stage."""

    role: str
    layout: str
    layers: LayerCounts
    height: int
    params: int


@dataclass(frozen=True)
class StageInfo:
    """Per-stage structure, parameters and init; stage 0 is the outermost (byte level)."""

    index: int
    d_model: int
    d_intermediate: int
    d_ff: int
    innermost: bool
    components: tuple[ComponentInfo, ...]
    layers: LayerCounts
    params: int
    param_breakdown: StageParams
    n_residuals: int
    init_std: float
    out_proj_std: float | None
    attn_head_dim: int | None
    rotary_emb_dim: int | None
    window_size: int | None
    mamba_heads: int | None
    dechunk_heads: int | None

    def height(self, role: str) -> int | None:
        """Height of the `encoder`, `decoder` or `main` component, None if the stage has none."""
        return next((c.height for c in self.components if c.role == role), None)


@dataclass(frozen=True)
class ModelInfo:
    """Everything `model-info` reports; `to_dict()` is the stable JSON form."""

    num_stages: int
    vocab_size: int
    tie_embeddings: bool
    total_params: int
    embedding_params: int
    params_per_stage: tuple[int, ...]
    stages: tuple[StageInfo, ...]
    flops: FlopsEstimate
    memory: MemoryEstimate

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (tuples become lists)."""
        return _lists(asdict(self))


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return value


def default_target_ratios(num_stages: int) -> list[float]:
    """Paper-style targets: N = 6 for a 1-stage model, otherwise 3 per stage."""
    return [6.0] if num_stages == 1 else [3.0] * num_stages


def _component(iso: IsoSpec, params: StageParams) -> ComponentInfo:
    count = {"encoder": params.encoder, "decoder": params.decoder, "main": params.main}[iso.role]
    return ComponentInfo(iso.role, iso.layout, LayerCounts.of(iso.blocks), iso.height, count)


def _stage_info(stage: StageSpec, n_residuals: int) -> StageInfo:
    params = stage_params(stage)
    d = stage.d_model
    has_dechunk = not stage.innermost and d % DECHUNK_HEADDIM == 0
    return StageInfo(
        index=stage.index,
        d_model=d,
        d_intermediate=stage.d_intermediate,
        d_ff=stage.d_ff,
        innermost=stage.innermost,
        components=tuple(_component(iso, params) for iso in stage.isos),
        layers=LayerCounts.of(stage.blocks),
        params=params.total,
        param_breakdown=params,
        n_residuals=n_residuals,
        init_std=INITIALIZER_RANGE,
        # n_res = 0 means no layers, so no out_proj/fc2 exists to initialise
        out_proj_std=INITIALIZER_RANGE / math.sqrt(n_residuals) if n_residuals else None,
        attn_head_dim=stage.head_dim,
        rotary_emb_dim=stage.rotary_emb_dim,
        window_size=stage.window_size,
        mamba_heads=stage.ssm.nheads(d),
        # DeChunkLayer exists only at outer stages (the innermost stage has no routing)
        dechunk_heads=d // DECHUNK_HEADDIM if has_dechunk else None,
    )


def build_model_info(
    config: Mapping[str, Any],
    *,
    target_ratios: Sequence[float] | None = None,
    seq_len: int = 8192,
    batch_size: int = 8,
    param_dtype: str = "float32",
    autocast_dtype: str | None = "bfloat16",
) -> ModelInfo:
    """Analyse an official-format config dict; raises `ValueError` on anything unusable.

    `target_ratios` are the downsampling targets N_s, one per chunking stage, outermost first;
    the default is `default_target_ratios(S)`.
    """
    spec = parse_model_config(config)
    ratios = default_target_ratios(spec.num_stages) if target_ratios is None else list(target_ratios)
    stages, n_res = [], 0
    for stage in spec.stages:
        n_res += sum(iso.height for iso in stage.isos)
        stages.append(_stage_info(stage, n_res))
    d0 = spec.stages[0].d_model
    embedding = spec.vocab_size * d0 * (1 if spec.tie_embeddings else 2)
    per_stage = tuple(s.params for s in stages)
    return ModelInfo(
        num_stages=spec.num_stages,
        vocab_size=spec.vocab_size,
        tie_embeddings=spec.tie_embeddings,
        total_params=embedding + sum(per_stage),
        embedding_params=embedding,
        params_per_stage=per_stage,
        stages=tuple(stages),
        flops=estimate_flops(spec, ratios, seq_len),
        memory=estimate_memory(
            spec,
            batch_size=batch_size,
            seq_len=seq_len,
            target_ratios=ratios,
            param_dtype=param_dtype,
            autocast_dtype=autocast_dtype,
        ),
    )
