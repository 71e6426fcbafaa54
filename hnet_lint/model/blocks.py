"""Residual blocks and the isotropic stack (upstream ``block.py`` / ``isotropic.py``).

A Block is pre-norm: ``residual += h; h = mixer(norm1(residual))`` and, for uppercase letters,
``residual += h; h = mlp(norm2(residual))``. The residual stream is kept in fp32, as upstream's
fused ``RMSNorm(prenorm=True, residual_in_fp32=True)`` does. An Isotropic ends with ``rmsnorm``
applied to the final residual sum (the paper's "normalization at the end of each sub-network").
"""

from __future__ import annotations

from typing import Optional

import torch.nn as nn
from torch import Tensor

from .attention import CausalMHA
from .config import StageCfg, parse_layout
from .layers import RMSNorm, SwiGLU, upcast
from .mamba2 import Mamba2
from .sequence import SeqInfo

__all__ = ["Block", "Isotropic"]


class Block(nn.Module):
    """One layer: ``m``/``M`` = Mamba2, ``t``/``T`` = attention; uppercase adds a SwiGLU MLP."""

    def __init__(self, letter: str, cfg: StageCfg, layer_idx: int, device=None, dtype=None) -> None:
        super().__init__()
        fk = {"device": device, "dtype": dtype}
        d = cfg.d_model
        self.letter = letter
        self.norm1 = RMSNorm(d, eps=1e-5, **fk)
        if letter in "mM":
            self.mixer: nn.Module = Mamba2(
                d, d_state=cfg.d_state, d_conv=cfg.d_conv, expand=cfg.expand, chunk_size=cfg.chunk_size,
                layer_idx=layer_idx, **fk,
            )
        else:
            if cfg.num_heads is None:
                raise ValueError("attention block needs attn_cfg.num_heads")
            self.mixer = CausalMHA(
                d, cfg.num_heads, rotary_emb_dim=cfg.rotary_emb_dim or 0,
                window_size=-1 if cfg.window_size is None else cfg.window_size,
                layer_idx=layer_idx, **fk,
            )
        self.norm2: Optional[RMSNorm] = None
        self.mlp: Optional[SwiGLU] = None
        if letter.isupper():
            self.norm2 = RMSNorm(d, eps=1e-5, **fk)
            self.mlp = SwiGLU(d, cfg.d_intermediate, **fk)

    @property
    def height(self) -> int:
        """Residual additions made by this block (1, or 2 with an MLP)."""
        return 2 if self.mlp is not None else 1

    def forward(self, h: Tensor, residual: Optional[Tensor], seq: SeqInfo) -> tuple[Tensor, Tensor]:
        """h: (B, L, D) branch output of the previous block; residual: (B, L, D) fp32 or None."""
        residual = upcast(h) if residual is None else residual + upcast(h)  # (B, L, D) fp32
        h = self.mixer(self.norm1(residual, out_dtype=h.dtype), seq)
        if self.mlp is not None:
            residual = residual + upcast(h)
            h = self.mlp(self.norm2(residual, out_dtype=h.dtype))
        return h, residual


class Isotropic(nn.Module):
    """A stack of Blocks from one layout string, plus the final ``rmsnorm``."""

    def __init__(self, layout: str, cfg: StageCfg, device=None, dtype=None) -> None:
        super().__init__()
        letters = [letter for letter, count in parse_layout(layout) for _ in range(count)]
        # layer_idx restarts at 0 in every Isotropic, as upstream.
        self.layers = nn.ModuleList(Block(c, cfg, i, device=device, dtype=dtype) for i, c in enumerate(letters))
        self.rmsnorm = RMSNorm(cfg.d_model, eps=1e-5, device=device, dtype=dtype)

    @property
    def height(self) -> int:
        """Total residual additions; drives the 1/sqrt(n_res) init of out_proj/fc2."""
        return sum(layer.height for layer in self.layers)

    def forward(self, h: Tensor, seq: SeqInfo) -> Tensor:
        """h: (B, L, D) -> (B, L, D), same dtype."""
        residual: Optional[Tensor] = None
        for layer in self.layers:
            h, residual = layer(h, residual, seq)
        residual = upcast(h) if residual is None else residual + upcast(h)
        return self.rmsnorm(residual, out_dtype=h.dtype)  # (B, L, D)
