"""H-Net configuration, mirroring the official ``configs/*.json`` schema.

This module must not import torch: the static linter imports it to read configs.

The official ``HNetConfig`` (goombalab/hnet ``hnet/models/config_hnet.py``) has seven fields.
``ssm_cfg`` and ``attn_cfg`` values may be a scalar (same for every stage) or a list indexed by
stage; :meth:`HNetConfig.stage_cfg` resolves them the way upstream ``get_stage_cfg`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..load.layout import parse_layer_string
from ..load.official import ATTN_KEYS, SSM_DEFAULTS

__all__ = [
    "DEBUG_2STAGE",
    "HNetConfig",
    "StageCfg",
    "parse_layout",
    "num_stages",
    "stage_layout",
]



def parse_layout(layout: str) -> list[tuple[str, int]]:
    """Parse a layout string such as ``"T1m4"`` into ``[("T", 1), ("m", 4)]``.

    Letters: ``m`` Mamba2, ``M`` Mamba2+SwiGLU, ``t`` attention, ``T`` attention+SwiGLU.
    Raises ``ValueError`` unless the whole string matches ``([mMtT][1-9][0-9]*)+``: the
    linter's grammar (:func:`hnet_lint.load.layout.parse_layer_string`), not upstream's
    ``re.findall``, which silently drops what it does not match.
    """
    try:
        return list(parse_layer_string(layout))
    except (ValueError, TypeError):
        raise ValueError(f"invalid layout string {layout!r}: expected ([mMtT][1-9][0-9]*)+") from None


def stage_layout(arch_layout: list, stage: int) -> list:
    """Return the nested layout list of stage ``stage`` (``[enc, inner, dec]`` or ``[main]``)."""
    node = arch_layout
    for _ in range(stage):
        node = node[1]
    if not isinstance(node, list) or len(node) not in (1, 3):
        raise ValueError(f"stage {stage}: layout must be a list of 1 or 3 items, got {node!r}")
    return node


def num_stages(arch_layout: list) -> int:
    """Number of hierarchy stages S (nesting depth; ``["T22"]`` alone is 0 stages)."""
    s = 0
    node = arch_layout
    while True:
        if not isinstance(node, list) or len(node) not in (1, 3):
            raise ValueError(f"invalid arch_layout node {node!r}")
        if len(node) == 1:
            return s
        if not isinstance(node[0], str) or not isinstance(node[2], str):
            raise ValueError(f"encoder/decoder layouts must be strings, got {node!r}")
        node = node[1]
        s += 1


@dataclass(frozen=True)
class StageCfg:
    """Resolved per-stage hyper-parameters."""

    d_model: int
    d_intermediate: int
    d_conv: int
    expand: int
    d_state: int
    chunk_size: int
    num_heads: Optional[int]  # None when attn_cfg omits the key
    rotary_emb_dim: Optional[int]
    window_size: Optional[int]


@dataclass(frozen=True)
class HNetConfig:
    """Frozen mirror of the official JSON config.

    ``arch_layout`` is the nested list, e.g. ``["m4", ["T1m4", ["T26"], "m4T1"], "m4"]``.
    ``d_model`` / ``d_intermediate`` need at least S+1 entries (extras ignored, as upstream).
    """

    arch_layout: list = field(default_factory=lambda: ["m4", ["T22"], "m4"])
    d_model: list = field(default_factory=lambda: [1024, 1536])
    d_intermediate: list = field(default_factory=lambda: [0, 4096])
    vocab_size: int = 256
    ssm_cfg: dict = field(default_factory=lambda: dict(SSM_DEFAULTS))
    attn_cfg: dict = field(
        default_factory=lambda: {"num_heads": [16, 16], "rotary_emb_dim": [32, 48], "window_size": [1023, -1]}
    )
    tie_embeddings: bool = False

    @classmethod
    def from_dict(cls, d: dict) -> "HNetConfig":
        """Build from a parsed official JSON dict. Unknown top-level or cfg keys raise, as upstream."""
        allowed = {"arch_layout", "d_model", "d_intermediate", "vocab_size", "ssm_cfg", "attn_cfg", "tie_embeddings"}
        unknown = set(d) - allowed
        if unknown:
            raise TypeError(f"unknown HNetConfig keys: {sorted(unknown)}")
        ssm = dict(SSM_DEFAULTS)
        extra = set(d.get("ssm_cfg", {})) - set(SSM_DEFAULTS)
        if extra:  # upstream SSMConfig(**cfg) raises TypeError on e.g. headdim
            raise TypeError(f"unknown ssm_cfg keys: {sorted(extra)}")
        ssm.update(d.get("ssm_cfg", {}))
        attn = dict(d.get("attn_cfg", {}))
        extra = set(attn) - set(ATTN_KEYS)
        if extra:
            raise TypeError(f"unknown attn_cfg keys: {sorted(extra)}")
        cfg = cls(
            arch_layout=d.get("arch_layout", ["m4", ["T22"], "m4"]),
            d_model=list(d["d_model"]),
            d_intermediate=list(d.get("d_intermediate", [0] * len(d["d_model"]))),
            vocab_size=int(d.get("vocab_size", 256)),
            ssm_cfg=ssm,
            attn_cfg=attn,
            tie_embeddings=bool(d.get("tie_embeddings", False)),
        )
        cfg.validate()
        return cfg

    def to_dict(self) -> dict:
        """Plain-JSON form (inverse of :meth:`from_dict`)."""
        return {
            "arch_layout": self.arch_layout,
            "d_model": list(self.d_model),
            "d_intermediate": list(self.d_intermediate),
            "vocab_size": self.vocab_size,
            "ssm_cfg": dict(self.ssm_cfg),
            "attn_cfg": dict(self.attn_cfg),
            "tie_embeddings": self.tie_embeddings,
        }

    @property
    def num_stages(self) -> int:
        """S: number of hierarchy stages."""
        return num_stages(self.arch_layout)

    def stage_layout(self, s: int) -> list:
        """Nested layout list at stage ``s``."""
        return stage_layout(self.arch_layout, s)

    def stage_cfg(self, s: int) -> StageCfg:
        """Resolve every per-stage value for stage ``s`` (scalars broadcast, lists indexed).

        A list shorter than S+1 raises, as upstream's ``get_stage_cfg`` does (IndexError there),
        even for stages without attention. A missing attention key resolves to None and only
        fails if an attention block is built.
        """

        def pick(cfg: dict, key: str) -> Any:
            value = cfg.get(key)
            if isinstance(value, (list, tuple)):
                if len(value) <= s:
                    raise ValueError(f"{key} has {len(value)} entries; stage {s} needs >= {s + 1}")
                return int(value[s])
            return None if value is None else int(value)

        return StageCfg(
            d_model=int(self.d_model[s]),
            d_intermediate=int(self.d_intermediate[s]),
            d_conv=pick(self.ssm_cfg, "d_conv"),
            expand=pick(self.ssm_cfg, "expand"),
            d_state=pick(self.ssm_cfg, "d_state"),
            chunk_size=pick(self.ssm_cfg, "chunk_size"),
            num_heads=pick(self.attn_cfg, "num_heads"),
            rotary_emb_dim=pick(self.attn_cfg, "rotary_emb_dim"),
            window_size=pick(self.attn_cfg, "window_size"),
        )

    def validate(self) -> None:
        """Check the structural constraints the model relies on (layout grammar, list lengths)."""
        S = self.num_stages
        for s in range(S + 1):
            node = self.stage_layout(s)
            for part in (node if len(node) == 1 else (node[0], node[2])):
                parse_layout(part)
        for name in ("d_model", "d_intermediate"):
            if len(getattr(self, name)) < S + 1:
                raise ValueError(f"{name} needs >= {S + 1} entries, got {getattr(self, name)}")
        for s in range(S + 1):
            self.stage_cfg(s)  # per-stage list lengths


#: Tiny 2-stage config (≈0.8M parameters) for CPU tests, the benchmark and a dry-run ``debug``
#: flavor. Same layout grammar as ``hnet_2stage_L``; widths grow 64 → 96 → 128 so both
#: ``pad_dimension`` paths are exercised; Mamba2 heads = 2·d/64.
DEBUG_2STAGE: dict = {
    "arch_layout": ["m1", ["T1m1", ["T2"], "m1T1"], "m1"],
    "d_model": [64, 96, 128],
    "d_intermediate": [0, 192, 256],
    "vocab_size": 256,
    "ssm_cfg": {"d_conv": 4, "expand": 2, "d_state": 32, "chunk_size": 64},
    "attn_cfg": {"num_heads": [2, 2, 2], "rotary_emb_dim": [16, 16, 32], "window_size": [63, 63, -1]},
    "tie_embeddings": False,
}
