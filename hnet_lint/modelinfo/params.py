"""Parameter names, shapes and counts of the official `HNetForCausalLM`, without torch.

Shapes are generated from the module tree, and every count is the sum of `prod(shape)` over
those shapes, so `param_shapes` and the totals can never disagree. Closed forms, with stage
width `D`, SwiGLU width `F' = 128*ceil(F/128)`, `d_inner = expand*D`, `h = d_inner/64`,
`N = d_state`, `K = d_conv`, `G = 1`:

- RMSNorm(D): `D` (weight only)
- Mamba2(D): `D*(2*d_inner + 2*G*N + h)` (in_proj) + `(d_inner + 2*G*N)*(K + 1)` (conv1d w+b)
  + `3*h` (dt_bias, A_log, D) + `d_inner` (gated norm) + `d_inner*D` (out_proj)
- CausalMHA(D): `4*D**2` (Wqkv + out_proj, no biases; head count does not matter)
- SwiGLU(D, F): `3*D*F'` (fc1 is `[2F', D]`, fc2 is `[D, F']`)
- block: `norm1 + mixer`, plus `norm2 + mlp` for uppercase letters
- Isotropic: `sum(blocks) + D` (final `rmsnorm`)
- outer stage: `pad + enc + dec + 2*D**2` (routing q/k) `+ D**2 + D` (residual_proj)
- innermost stage: `pad + main`; `pad = max(0, D_s - D_{s-1})` for `s > 0`
- model: `V*D0` (embeddings) `+ V*D0` (lm_head, unless tied) `+ sum(stages)`

Key order follows PyTorch: a module's own parameters first, then children in registration
order (so `pad_dimension` precedes `encoder`, and Mamba2's `dt_bias, A_log, D` precede `in_proj`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .spec import IsoSpec, ModelSpec, StageSpec, parse_model_config

__all__ = [
    "LINEAR_SUFFIXES",
    "StageParams",
    "count_params",
    "param_shapes",
    "spec_shapes",
    "stage_params",
    "stage_part_shapes",
]

Shape = tuple[int, ...]
Named = list[tuple[str, Shape]]

# Weights of nn.Linear layers: the ones matmul FLOPs are counted from.
LINEAR_SUFFIXES = (
    "in_proj.weight",
    "out_proj.weight",
    "Wqkv.weight",
    "fc1.weight",
    "fc2.weight",
    "q_proj_layer.weight",
    "k_proj_layer.weight",
    "residual_proj.weight",
)


@dataclass(frozen=True)
class StageParams:
    """Parameters owned by one stage itself (nested inner stages are not included)."""

    encoder: int
    decoder: int
    main: int
    routing: int
    residual_proj: int
    pad: int

    @property
    def total(self) -> int:
        """Sum of all parts."""
        return self.encoder + self.decoder + self.main + self.routing + self.residual_proj + self.pad


def numel(shape: Shape) -> int:
    """Number of elements of a tensor with this shape."""
    return math.prod(shape)


def _mamba_shapes(stage: StageSpec) -> Named:
    d, ssm = stage.d_model, stage.ssm
    d_inner = ssm.d_inner(d)
    h = ssm.nheads(d) or 0  # spec parsing guarantees an integer wherever Mamba layers exist
    bc = 2 * ssm.ngroups * ssm.d_state
    return [
        ("dt_bias", (h,)),
        ("A_log", (h,)),
        ("D", (h,)),
        ("in_proj.weight", (2 * d_inner + bc + h, d)),  # packed [z, x, B, C, dt]
        ("conv1d.weight", (d_inner + bc, 1, ssm.d_conv)),  # depthwise over x, B, C
        ("conv1d.bias", (d_inner + bc,)),
        ("norm.weight", (d_inner,)),
        ("out_proj.weight", (d, d_inner)),
    ]


def _block_shapes(letter: str, stage: StageSpec) -> Named:
    d, f = stage.d_model, stage.d_ff
    out: Named = [("norm1.weight", (d,))]
    if letter in "mM":
        out += [(f"mixer.{name}", shape) for name, shape in _mamba_shapes(stage)]
    else:
        out += [("mixer.Wqkv.weight", (3 * d, d)), ("mixer.out_proj.weight", (d, d))]
    if letter.isupper():
        out += [("norm2.weight", (d,)), ("mlp.fc1.weight", (2 * f, d)), ("mlp.fc2.weight", (d, f))]
    return out


def _iso_shapes(iso: IsoSpec, stage: StageSpec) -> Named:
    out: Named = []
    for i, letter in enumerate(iso.blocks):
        out += [(f"layers.{i}.{name}", shape) for name, shape in _block_shapes(letter, stage)]
    return out + [("rmsnorm.weight", (stage.d_model,))]


def stage_part_shapes(stage: StageSpec) -> dict[str, Named]:
    """Shapes owned by one stage, grouped by part, each with names relative to the part."""
    d = stage.d_model
    parts: dict[str, Named] = {"pad": [("", (stage.pad,))] if stage.pad else []}
    for iso in stage.isos:
        parts[iso.role] = _iso_shapes(iso, stage)
    if not stage.innermost:
        parts["routing"] = [("q_proj_layer.weight", (d, d)), ("k_proj_layer.weight", (d, d))]
        parts["residual_proj"] = [("weight", (d, d)), ("bias", (d,))]
    return parts


def stage_params(stage: StageSpec) -> StageParams:
    """Per-part parameter counts of one stage."""
    parts = stage_part_shapes(stage)
    count = {key: sum(numel(shape) for _, shape in named) for key, named in parts.items()}
    return StageParams(
        encoder=count.get("encoder", 0),
        decoder=count.get("decoder", 0),
        main=count.get("main", 0),
        routing=count.get("routing", 0),
        residual_proj=count.get("residual_proj", 0),
        pad=count.get("pad", 0),
    )


def _backbone_shapes(spec: ModelSpec, s: int, prefix: str) -> Iterator[tuple[str, Shape]]:
    """Yield stage `s` and everything nested in it, in `state_dict` order."""
    stage = spec.stages[s]
    parts = stage_part_shapes(stage)
    for _, shape in parts["pad"]:
        yield f"{prefix}pad_dimension", shape
    if stage.innermost:
        for name, shape in parts["main"]:
            yield f"{prefix}main_network.{name}", shape
        return
    for name, shape in parts["encoder"]:
        yield f"{prefix}encoder.{name}", shape
    yield from _backbone_shapes(spec, s + 1, f"{prefix}main_network.")
    for name, shape in parts["decoder"]:
        yield f"{prefix}decoder.{name}", shape
    for name, shape in parts["routing"]:
        yield f"{prefix}routing_module.{name}", shape
    for name, shape in parts["residual_proj"]:
        yield f"{prefix}residual_proj.{name}", shape


def spec_shapes(spec: ModelSpec, *, dedupe_tied: bool = False) -> dict[str, Shape]:
    """`param_shapes` for an already parsed spec."""
    embed = (spec.vocab_size, spec.stages[0].d_model)
    out: dict[str, Shape] = {"embeddings.weight": embed}
    out.update(_backbone_shapes(spec, 0, "backbone."))
    if not (spec.tie_embeddings and dedupe_tied):
        out["lm_head.weight"] = embed
    return out


def param_shapes(config: Mapping[str, Any], *, dedupe_tied: bool = False) -> dict[str, Shape]:
    """Official `state_dict` key -> shape, in `state_dict()` order.

    With `tie_embeddings`, PyTorch's `state_dict()` still lists `lm_head.weight` (it is the same
    tensor as `embeddings.weight`), so it is kept by default; `dedupe_tied=True` drops it, which
    matches `named_parameters()`. Raises `ValueError` for configs that cannot be built.
    """
    return spec_shapes(parse_model_config(config), dedupe_tied=dedupe_tied)


def count_params(config: Mapping[str, Any]) -> int:
    """Total parameters as `sum(p.numel() for p in model.parameters())` (tied tensor counted once)."""
    shapes = param_shapes(config, dedupe_tied=True)
    return sum(numel(shape) for shape in shapes.values())
