"""Sequence bookkeeping shared by every layer: documents, padding and positions.

Upstream H-Net has two modes: *packed* (a flat ``(T, D)`` tensor plus ``cu_seqlens``) and *mask*
(a right-padded ``(B, L, D)`` batch plus a boolean mask). Here both are one representation: a
``(B, L, D)`` tensor plus a :class:`SeqInfo` that says, per position, which *segment* it belongs to.
A segment is a maximal run of positions from one document (or one run of padding). Every layer
resets at segment starts: Mamba2 state and conv window, attention (block-diagonal mask), the
dechunk EMA and rotary positions. Packed mode is ``B = 1`` with several segments; mask mode is one
document segment per row (plus a trailing padding segment). Because padding gets its own segment,
it can never leak into real tokens, whichever side it sits on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Optional

import torch
from torch import Tensor

__all__ = ["SeqInfo"]


@dataclass
class SeqInfo:
    """Per-position layout of a batch.

    Attributes:
        segment: (B, L) int64, non-decreasing per row; changes exactly at segment starts.
        valid: (B, L) bool; False on padding.
        doc_start: (B, L) bool; True at the first position of each real document.
    """

    segment: Tensor
    valid: Tensor
    doc_start: Tensor
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # e.g. attention masks

    # ------------------------------------------------------------------ constructors
    @staticmethod
    def _from_doc_and_valid(doc_id: Tensor, valid: Tensor) -> "SeqInfo":
        # doc_id: (B, L) any integer labels; a new segment starts where the label or validity changes.
        B, L = doc_id.shape
        change = torch.ones(B, L, dtype=torch.bool, device=doc_id.device)
        if L > 1:
            change[:, 1:] = (doc_id[:, 1:] != doc_id[:, :-1]) | (valid[:, 1:] != valid[:, :-1])
        segment = torch.cumsum(change.long(), dim=1) - 1  # (B, L)
        return SeqInfo(segment=segment, valid=valid, doc_start=change & valid)

    @staticmethod
    def from_batch(batch: int, length: int, device: torch.device | str | None = None) -> "SeqInfo":
        """Each row is one document (upstream packed mode with ``mask=None``)."""
        zeros = torch.zeros(batch, length, dtype=torch.long, device=device)
        return SeqInfo._from_doc_and_valid(zeros, torch.ones_like(zeros, dtype=torch.bool))

    @staticmethod
    def from_mask(mask: Tensor) -> "SeqInfo":
        """Padded batch: each row is one document; ``mask`` (B, L) is True on real tokens."""
        mask = mask.bool()
        return SeqInfo._from_doc_and_valid(torch.zeros_like(mask, dtype=torch.long), mask)

    @staticmethod
    def from_cu_seqlens(cu_seqlens: Tensor, total: Optional[int] = None) -> "SeqInfo":
        """Packed documents in one row: ``cu_seqlens`` (n_docs + 1,) cumulative lengths from 0."""
        cu = cu_seqlens.long()
        T = int(cu[-1])
        if int(cu[0]) != 0 or (total is not None and total != T) or bool((cu[1:] < cu[:-1]).any()):
            raise ValueError(f"cu_seqlens must rise from 0 to the token count {total}, got {cu.tolist()}")
        marks = torch.zeros(T, dtype=torch.long, device=cu.device)
        marks[cu[:-1][cu[:-1] < T]] = 1  # empty documents mark nothing
        doc_id = torch.cumsum(marks, 0).unsqueeze(0)  # (1, T)
        return SeqInfo._from_doc_and_valid(doc_id, torch.ones_like(doc_id, dtype=torch.bool))

    # ------------------------------------------------------------------ derived views
    # Derived views are cached: every layer of a stage shares one SeqInfo, and has_resets() is a
    # host sync we want once per stage, not once per layer.
    @cached_property
    def seg_start(self) -> Tensor:
        """(B, L) bool: first position of every segment (documents and padding runs)."""
        start = torch.ones_like(self.valid)
        start[:, 1:] = self.segment[:, 1:] != self.segment[:, :-1]
        return start

    @cached_property
    def _positions(self) -> Tensor:
        """(B, L) int64 position of each token within its segment (rotary restarts per document)."""
        B, L = self.segment.shape
        idx = torch.arange(L, device=self.segment.device).expand(B, L)
        # Start index of each position's segment = running max of the start indices seen so far.
        start_idx = torch.where(self.seg_start, idx, torch.zeros_like(idx))
        start_idx = torch.cummax(start_idx, dim=1).values
        return idx - start_idx  # (B, L)

    def positions(self) -> Tensor:
        """(B, L) int64 position of each token within its segment (cached)."""
        return self._positions

    @cached_property
    def _has_resets(self) -> bool:
        return bool((self.segment[:, -1] > 0).any()) if self.segment.numel() else False

    def has_resets(self) -> bool:
        """Whether any row contains more than one segment (so kernels must honour resets)."""
        return self._has_resets

    def gather(self, index: Tensor, length_mask: Tensor) -> "SeqInfo":
        """Layout of the chunked sequence: keep positions ``index`` (B, M), valid where ``length_mask``.

        Chunk positions inherit their document; chunk padding (beyond each row's chunk count) gets
        its own segment so it stays isolated exactly like byte padding.
        """
        doc = torch.gather(self.segment, 1, index)  # (B, M)
        return SeqInfo._from_doc_and_valid(doc, length_mask)
