"""The H-Net (paper §2.1): a recursive encoder → main network → decoder hierarchy over bytes.

Paper → code, for stage s = 0..S:
    E^s, M, D^s (encoder, main network, decoder) → ``HNet.encoder``, ``HNet.main_network``, ``HNet.decoder``
    (M is itself an ``HNet`` at stage s+1, or an ``Isotropic`` at the innermost stage S)
    x̂^s = E^s(x^s)                    → encoder output ``h``
    routing / chunking (§2.2)         → ``routing_module``, ``chunk_layer`` (dc.py)
    dechunking + smoothing            → ``dechunk_layer`` (dc.py)
    residual  z^s = dechunk · STE(P) + Linear(x̂^s)  → ``residual_proj`` (fp32, zero weight)
Widths grow inward: a stage wider than its parent concatenates the learned ``pad_dimension``
(zero-init) on entry and slices it off on exit.

``HNetForCausalLM`` adds byte embeddings and an (optionally tied) ``lm_head``; ``forward`` returns an
:class:`HNetOutput` with the logits and every stage's :class:`~.dc.RouterOutput`, outer stage first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import torch
import torch.nn as nn
from torch import Tensor

from .blocks import Isotropic
from .config import HNetConfig
from .dc import ChunkLayer, DeChunkLayer, RouterOutput, RoutingModule, ste_ones
from .sequence import SeqInfo

__all__ = ["HNet", "HNetForCausalLM", "HNetOutput", "tag_optim", "set_collect_stats", "layer_stats"]


def tag_optim(param: Tensor, **kw: float) -> None:
    """Merge optimizer hints into ``param._optim`` (upstream ``apply_optimization_params``)."""
    if hasattr(param, "_optim"):
        param._optim.update(kw)
    else:
        param._optim = dict(kw)


def _init_linears(module: nn.Module, std: float, n_residuals: int) -> None:
    # Upstream HNet._init_weights: every Linear gets N(0, std) unless flagged _no_reinit; the
    # output projections (attention/Mamba out_proj, SwiGLU fc2) are scaled by 1/sqrt(n_residuals).
    for name, m in module.named_modules():
        if isinstance(m, nn.Linear) and not getattr(m.weight, "_no_reinit", False):
            scale = n_residuals**-0.5 if ("out_proj" in name or "fc2" in name) else 1.0
            nn.init.normal_(m.weight, mean=0.0, std=std * scale)


def set_collect_stats(model: nn.Module, on: bool = True) -> None:
    """Turn per-layer dynamics statistics on or off (Mamba2 Δ/A/decay ranges, max attention logit)."""
    for m in model.modules():
        if hasattr(m, "collect_stats"):
            m.collect_stats = on


def layer_stats(model: nn.Module) -> dict[str, dict[str, float]]:
    """Statistics from the last forward, keyed by module name (e.g. ``backbone.encoder.layers.0.mixer``)."""
    return {name: dict(m.stats) for name, m in model.named_modules() if getattr(m, "collect_stats", False) and m.stats}


class HNet(nn.Module):
    """One stage of the hierarchy, built recursively from ``config.arch_layout``."""

    def __init__(self, config: HNetConfig, stage_idx: int = 0, device=None, dtype=None) -> None:
        super().__init__()
        fk = {"device": device, "dtype": dtype}
        self.stage_idx = stage_idx
        cfg = config.stage_cfg(stage_idx)
        self.d_model = cfg.d_model
        layout = config.stage_layout(stage_idx)
        self.is_innermost = len(layout) == 1

        # Parameters of this module come first in state_dict order whatever their assignment
        # order; upstream assigns pad_dimension last but it is emitted first.
        d_parent = config.d_model[stage_idx - 1] if stage_idx > 0 else self.d_model
        if self.d_model < d_parent:  # upstream builds this and crashes on the first forward
            raise ValueError(f"d_model must be non-decreasing inward: stage {stage_idx} has {self.d_model} < {d_parent}")
        if stage_idx > 0 and self.d_model > d_parent:
            self.pad_dimension: Optional[nn.Parameter] = nn.Parameter(torch.zeros(self.d_model - d_parent, **fk))
        else:
            self.pad_dimension = None

        if self.is_innermost:
            self.main_network: nn.Module = Isotropic(layout[0], cfg, **fk)
            return
        self.encoder = Isotropic(layout[0], cfg, **fk)
        self.main_network = HNet(config, stage_idx + 1, **fk)
        self.decoder = Isotropic(layout[2], cfg, **fk)
        self.routing_module = RoutingModule(self.d_model, **fk)
        self.chunk_layer = ChunkLayer()
        self.dechunk_layer = DeChunkLayer(self.d_model)
        # The residual skip runs in fp32 even in a bf16 model, as upstream; zero weight so that
        # at init the stage output is driven by the dechunked path only.
        self.residual_proj = nn.Linear(self.d_model, self.d_model, device=device, dtype=torch.float32)
        nn.init.zeros_(self.residual_proj.weight)
        self.residual_proj.weight._no_reinit = True

    def forward(self, h: Tensor, seq: SeqInfo) -> tuple[Tensor, list[RouterOutput]]:
        """h: (B, L, D_{s-1}) -> (B, L, D_{s-1}) and router outputs of this and inner stages."""
        D = h.shape[-1]
        if self.pad_dimension is not None:
            pad = self.pad_dimension.to(h.dtype).expand(*h.shape[:-1], -1)  # (B, L, D_s - D_{s-1})
            h = torch.cat([h, pad], dim=-1)  # (B, L, D_s)
        if self.is_innermost:
            return self.main_network(h, seq)[..., :D], []

        h = self.encoder(h, seq)  # x̂^s: (B, L, D_s)
        with torch.autocast(device_type=h.device.type, enabled=False):
            residual = self.residual_proj(h.to(self.residual_proj.weight.dtype))  # (B, L, D_s) fp32
        router = self.routing_module(h, seq)
        chunks, chunk_index, chunk_seq = self.chunk_layer(h, router.boundary_mask, seq)  # (B, M, D_s)
        chunks, inner = self.main_network(chunks, chunk_seq)  # (B, M, D_s)
        z = self.dechunk_layer(chunks, router.boundary_mask, router.boundary_prob, chunk_index, chunk_seq)
        # STE(P) is 1 in value; its gradient is how the main loss reaches the router.
        confidence = ste_ones(router.selected_probs.to(residual.dtype)).unsqueeze(-1)  # (B, L, 1)
        h = (z.to(residual.dtype) * confidence + residual).to(h.dtype)  # (B, L, D_s)
        h = self.decoder(h, seq)
        return h[..., :D], [router, *inner]

    def init_weights(self, initializer_range: float, parent_residuals: int = 0) -> None:
        """Upstream ``HNet._init_weights``: n_residuals accumulates outer → inner."""
        n_res = parent_residuals
        if self.is_innermost:
            n_res += self.main_network.height
            _init_linears(self.main_network, initializer_range, n_res)
            return
        n_res += self.encoder.height + self.decoder.height
        _init_linears(self.encoder, initializer_range, n_res)
        _init_linears(self.decoder, initializer_range, n_res)
        self.main_network.init_weights(initializer_range, n_res)

    def apply_lr_multiplier(self, lr_multiplier: list[float]) -> None:
        """Tag every parameter of this stage (nested ones too) with lr[s]; inner stages overwrite."""
        for p in self.parameters():
            tag_optim(p, lr_multiplier=lr_multiplier[self.stage_idx])
        if not self.is_innermost:
            self.main_network.apply_lr_multiplier(lr_multiplier)


@dataclass
class HNetOutput:
    """``logits``: (B, L, V). ``routers``: one :class:`RouterOutput` per non-innermost stage."""

    logits: Tensor
    routers: list[RouterOutput]


class HNetForCausalLM(nn.Module):
    """Byte-level causal LM: embeddings → HNet backbone → lm_head."""

    def __init__(self, config: HNetConfig, device=None, dtype=None) -> None:
        super().__init__()
        self.config = config
        d0 = config.d_model[0]
        self.embeddings = nn.Embedding(config.vocab_size, d0, device=device, dtype=dtype)
        self.backbone = HNet(config, stage_idx=0, device=device, dtype=dtype)
        self.lm_head = nn.Linear(d0, config.vocab_size, bias=False, device=device, dtype=dtype)
        if config.tie_embeddings:
            self.lm_head.weight = self.embeddings.weight

    def forward(
        self,
        input_ids: Tensor,
        mask: Optional[Tensor] = None,
        cu_seqlens: Optional[Tensor] = None,
    ) -> HNetOutput:
        """input_ids: (B, L) bytes.

        * ``cu_seqlens`` (n+1,): packed documents; ``input_ids`` is (1, T) or (T,).
        * ``mask`` (B, L) bool: padded batch, one document per row.
        * neither: one document per row (upstream's default packed mode).
        """
        if cu_seqlens is not None:
            input_ids = input_ids.reshape(1, -1)  # (1, T)
            seq = SeqInfo.from_cu_seqlens(cu_seqlens.to(input_ids.device), total=input_ids.shape[1])
        elif mask is not None:
            seq = SeqInfo.from_mask(mask.to(input_ids.device))
        else:
            seq = SeqInfo.from_batch(*input_ids.shape, device=input_ids.device)
        h = self.embeddings(input_ids)  # (B, L, D_0)
        h, routers = self.backbone(h, seq)
        return HNetOutput(logits=self.lm_head(h), routers=routers)  # logits (B, L, V)

    def init_weights(self, initializer_range: float = 0.02) -> None:
        """Upstream scheme; not called by the constructor (upstream does not either).

        lm_head ~ N(0, 0.02), then embeddings ~ N(0, 1) (so a tied matrix ends with std 1),
        then every backbone Linear per :meth:`HNet.init_weights`. Untouched: conv1d, dt_bias,
        A_log, D, norm gains, pad_dimension, router q/k (identity), residual_proj (zero weight).
        """
        nn.init.normal_(self.lm_head.weight, mean=0.0, std=initializer_range)
        nn.init.normal_(self.embeddings.weight, mean=0.0, std=1.0)
        self.backbone.init_weights(initializer_range)

    def apply_lr_multiplier(self, lr_multiplier: list[float]) -> None:
        """Tag parameters with ``_optim = {"lr_multiplier": λ^s}``; embeddings/lm_head get λ^0."""
        for p in list(self.embeddings.parameters()) + list(self.lm_head.parameters()):
            tag_optim(p, lr_multiplier=lr_multiplier[0])
        self.backbone.apply_lr_multiplier(lr_multiplier)
