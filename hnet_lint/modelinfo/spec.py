"""Normalise an official-format H-Net model config into a typed, per-stage spec.

The official code (`goombalab/hnet`, `HNetConfig`) reads per-stage values lazily, deep inside
module constructors. Here every per-stage value is resolved once, up front, so the parameter,
FLOP and memory arithmetic can be plain functions of a `StageSpec`.

The input is assumed to have passed the linter, but odd values never crash this module: every
problem raises `ValueError` with a message naming the offending field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..load.official import ATTN_KEYS, MAMBA_HEADDIM, SSM_DEFAULTS

__all__ = ["LAYER_LETTERS", "IsoSpec", "ModelSpec", "SSMSpec", "StageSpec", "parse_model_config"]

LAYER_LETTERS = ("m", "M", "t", "T")
SWIGLU_MULTIPLE = 128  # SwiGLU rounds d_intermediate up to this multiple
_MAX_STAGES = 64  # guards against self-referential lists, which would never terminate

# Full match, unlike the official `re.findall`, which silently drops unknown characters.
_LAYOUT_RE = re.compile(r"(?:[mMtT][0-9]+)*")
_TOKEN_RE = re.compile(r"([mMtT])([0-9]+)")


@dataclass(frozen=True)
class SSMSpec:
    """Mamba2 settings of one stage (headdim 64 and ngroups 1 are fixed by H-Net)."""

    d_conv: int
    expand: int
    d_state: int
    chunk_size: int
    ngroups: int = 1

    def d_inner(self, d_model: int) -> int:
        """Width of the SSM branch: expand * d_model."""
        return self.expand * d_model

    def nheads(self, d_model: int) -> int | None:
        """Mamba2 heads, expand*d/64, or None when that is not an integer (Mamba2 asserts)."""
        d_inner = self.d_inner(d_model)
        return d_inner // MAMBA_HEADDIM if d_inner % MAMBA_HEADDIM == 0 else None


@dataclass(frozen=True)
class IsoSpec:
    """One `Isotropic` sub-network: its role in the stage and one letter per layer."""

    role: str  # "encoder" | "decoder" | "main"
    layout: str
    blocks: tuple[str, ...]

    @property
    def height(self) -> int:
        """Residual additions: a lowercase block adds 1 (mixer), an uppercase one 2 (mixer + MLP)."""
        return sum(1 if letter.islower() else 2 for letter in self.blocks)

    def count(self, letter: str) -> int:
        """Number of layers of one kind (`m`, `M`, `t` or `T`)."""
        return self.blocks.count(letter)


@dataclass(frozen=True)
class StageSpec:
    """Everything stage `s` needs; `d_prev` is the outer stage's width (None at stage 0)."""

    index: int
    d_model: int
    d_prev: int | None
    d_intermediate: int  # as configured
    ssm: SSMSpec
    num_heads: int | None
    rotary_emb_dim: int | None
    window_size: int | None
    isos: tuple[IsoSpec, ...]

    @property
    def innermost(self) -> bool:
        """True for the stage that holds the `main_network` Isotropic."""
        return len(self.isos) == 1

    @property
    def d_ff(self) -> int:
        """SwiGLU hidden width: d_intermediate rounded up to a multiple of 128."""
        return SWIGLU_MULTIPLE * math.ceil(self.d_intermediate / SWIGLU_MULTIPLE)

    @property
    def pad(self) -> int:
        """Length of `pad_dimension`: the width gained over the outer stage (0 if none)."""
        return 0 if self.d_prev is None else max(0, self.d_model - self.d_prev)

    @property
    def blocks(self) -> tuple[str, ...]:
        """All layer letters of the stage, encoder then decoder (or main)."""
        return tuple(letter for iso in self.isos for letter in iso.blocks)

    @property
    def head_dim(self) -> int | None:
        """Attention head width d/num_heads, or None when unset or not an integer."""
        if not self.num_heads or self.d_model % self.num_heads:
            return None
        return self.d_model // self.num_heads


@dataclass(frozen=True)
class ModelSpec:
    """A parsed config: stages outermost first, plus the embedding settings."""

    stages: tuple[StageSpec, ...]
    vocab_size: int
    tie_embeddings: bool

    @property
    def num_stages(self) -> int:
        """S, the number of chunking stages (nesting depth); a plain isotropic model has 0."""
        return len(self.stages) - 1


def parse_model_config(config: Mapping[str, Any]) -> ModelSpec:
    """Parse an official-format config dict (see `HNetConfig`) into a `ModelSpec`.

    Unknown top-level keys are ignored (a run config may carry more); unknown `ssm_cfg` or
    `attn_cfg` keys raise, because the official dataclasses reject them and because a key such
    as `headdim` would change the arithmetic the user expects.
    """
    if not isinstance(config, Mapping):
        raise ValueError(f"model config must be a mapping, got {type(config).__name__}")
    layouts = _walk_layout(config.get("arch_layout"))
    n = len(layouts)
    d_model = _int_list(config, "d_model", n, minimum=1)
    d_int = _int_list(config, "d_intermediate", n, minimum=0)
    ssm_cfg = _sub_config(config, "ssm_cfg", tuple(SSM_DEFAULTS))
    attn_cfg = _sub_config(config, "attn_cfg", ATTN_KEYS)
    stages = []
    for s, strings in enumerate(layouts):
        roles = ("main",) if len(strings) == 1 else ("encoder", "decoder")
        isos = tuple(_parse_iso(role, text, s) for role, text in zip(roles, strings))
        stage = StageSpec(
            index=s,
            d_model=d_model[s],
            d_prev=d_model[s - 1] if s else None,
            d_intermediate=d_int[s],
            ssm=_ssm_for_stage(ssm_cfg, s),
            **_attn_for_stage(attn_cfg, s, needed=any(b in "tT" for i in isos for b in i.blocks)),
            isos=isos,
        )
        _check_stage(stage)
        stages.append(stage)
    vocab = _int(config.get("vocab_size", 256), "vocab_size", minimum=1)
    tie = config.get("tie_embeddings", False)
    if not isinstance(tie, bool):
        raise ValueError(f"tie_embeddings must be true or false, got {tie!r}")
    return ModelSpec(stages=tuple(stages), vocab_size=vocab, tie_embeddings=tie)


def _walk_layout(layout: Any) -> list[list[str]]:
    """Flatten the nested `arch_layout` into per-stage string lists ([enc, dec] or [main])."""
    stages: list[list[str]] = []
    node = layout
    while True:
        where = "arch_layout" + "[1]" * len(stages)
        if not isinstance(node, list) or len(node) not in (1, 3):
            raise ValueError(f"{where} must be a list of 3 items [enc, inner, dec] or 1 item [main]")
        if len(stages) >= _MAX_STAGES:
            raise ValueError(f"arch_layout nests deeper than {_MAX_STAGES} stages")
        if len(node) == 1:
            stages.append([_layout_str(node[0], f"{where}[0]")])
            return stages
        stages.append([_layout_str(node[0], f"{where}[0]"), _layout_str(node[2], f"{where}[2]")])
        node = node[1]


def _layout_str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _LAYOUT_RE.fullmatch(value):
        raise ValueError(f"{where} must be a layout string like 'm4' or 'T1m4', got {value!r}")
    return value


def _parse_iso(role: str, text: str, stage: int) -> IsoSpec:
    blocks: list[str] = []
    for letter, count in _TOKEN_RE.findall(text):
        if int(count) > 100_000:  # a typo like "T1000000000" must not build a giant tuple
            raise ValueError(f"stage {stage} {role} layout {text!r} has an implausible layer count")
        blocks.extend(letter * int(count))
    return IsoSpec(role=role, layout=text, blocks=tuple(blocks))


def _int(value: Any, where: str, minimum: int | None = None) -> int:
    # bool is an int subclass in Python, but `true` is never a meaningful width
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{where} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{where} must be >= {minimum}, got {value}")
    return value


def _int_list(config: Mapping[str, Any], key: str, n: int, minimum: int) -> list[int]:
    values = config.get(key)
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise ValueError(f"{key} must be a list with one entry per stage ({n} needed)")
    if len(values) < n:
        raise ValueError(f"{key} has {len(values)} entries; arch_layout has {n} stages")
    return [_int(v, f"{key}[{i}]", minimum) for i, v in enumerate(values[:n])]


def _sub_config(config: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    sub = config.get(key, {})
    if not isinstance(sub, Mapping):
        raise ValueError(f"{key} must be a mapping, got {type(sub).__name__}")
    unknown = sorted(str(k) for k in sub if k not in allowed)
    if unknown:
        raise ValueError(f"{key} has unknown keys {unknown}; allowed: {list(allowed)}")
    return sub


def _stage_value(sub: Mapping[str, Any], key: str, stage: int, default: Any, where: str) -> Any:
    """Resolve a scalar-or-list field the way the official `get_stage_cfg` does."""
    value = sub.get(key, default)
    if isinstance(value, list):
        if len(value) <= stage:
            raise ValueError(f"{where}.{key} has {len(value)} entries; stage {stage} needs one")
        return value[stage]
    return value


def _ssm_for_stage(ssm_cfg: Mapping[str, Any], s: int) -> SSMSpec:
    values = {
        key: _int(_stage_value(ssm_cfg, key, s, default, "ssm_cfg"), f"ssm_cfg.{key} (stage {s})", 1)
        for key, default in SSM_DEFAULTS.items()
    }
    return SSMSpec(**values)


def _attn_for_stage(attn_cfg: Mapping[str, Any], s: int, needed: bool) -> dict[str, int | None]:
    """Per-stage attention settings; problems are errors only where attention is used."""
    minimum = {"num_heads": 1, "rotary_emb_dim": 0, "window_size": None}
    out: dict[str, int | None] = {}
    for key in ATTN_KEYS:
        try:
            value = _stage_value(attn_cfg, key, s, None, "attn_cfg")
            if value is None:
                raise ValueError(f"attn_cfg.{key} is missing for stage {s}, which has attention")
            out[key] = _int(value, f"attn_cfg.{key} (stage {s})", minimum[key])
        except ValueError:
            if needed:
                raise
            # stage-0 attention values in the official configs are placeholders, never read
            out[key] = None
    return out


def _check_stage(stage: StageSpec) -> None:
    """Reject stages the official modules cannot even be constructed with."""
    s, d = stage.index, stage.d_model
    if any(b in "mM" for b in stage.blocks) and stage.ssm.nheads(d) is None:
        raise ValueError(
            f"stage {s}: expand*d_model = {stage.ssm.d_inner(d)} is not a multiple of the "
            f"Mamba2 head width {MAMBA_HEADDIM}"
        )
    if any(b in "tT" for b in stage.blocks) and stage.head_dim is None:
        raise ValueError(f"stage {s}: d_model {d} is not divisible by num_heads {stage.num_heads}")
