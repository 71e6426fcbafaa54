"""Byte batches for the dry-run: real English text packed into rows with document boundaries.

Default corpus: ``corpus/docs-v1.txt``, shipped with the package: 353 KB of English prose with
code, YAML and tables (this project's own Markdown documentation, frozen on 2026-12-06 by
``bench/make_corpus.py``), so the dry-run needs no download and sees the same bytes on every
machine. (It used Python's ``pydoc_data.topics`` before, which differs between patch releases:
3.11.2 and 3.11.7 gave the same config different gradient-norm statistics.) Every report carries
the corpus's sha256 (``info.data_sha256``). ``--data PATH`` reads a text file, JSONL (the
``text`` field, else the first string value of each line) or raw bytes. Documents are joined and
packed row by row; each row carries its document ids so the model resets state at every start,
as in packed training. Batches are a pure function of (seed, index): the configured-LR run and
its controls see identical bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = ["ByteCorpus", "Batch", "load_corpus", "default_corpus_bytes", "DEFAULT_SHA256"]


@dataclass
class Batch:
    """``input_ids`` (B, L+1) int64 bytes, ``doc_ids`` (B, L+1) int64 (segment per document)."""

    input_ids: Tensor
    doc_ids: Tensor

    @property
    def inputs(self) -> Tensor:
        return self.input_ids[:, :-1]  # (B, L)

    @property
    def targets(self) -> Tensor:
        return self.input_ids[:, 1:]  # (B, L)

    @property
    def target_valid(self) -> Tensor:
        """(B, L) bool: False where the target byte opens a new document (not predictable)."""
        return self.doc_ids[:, 1:] == self.doc_ids[:, :-1]

    def cu_seqlens(self) -> Tensor:
        """(n+1,) int32 document offsets of the inputs flattened to (1, B*L): rows and documents."""
        doc = self.doc_ids[:, :-1]  # (B, L)
        B, L = doc.shape
        starts = torch.ones_like(doc, dtype=torch.bool)
        starts[:, 1:] = doc[:, 1:] != doc[:, :-1]  # a new document inside the row
        idx = torch.nonzero(starts.reshape(-1)).squeeze(-1)  # (n,)
        return torch.cat([idx, torch.tensor([B * L])]).to(torch.int32)


DEFAULT_CORPUS = "docs-v1.txt"
#: sha256 of ``corpus/docs-v1.txt``; a test checks the shipped file against it
DEFAULT_SHA256 = "c6a6f334e2d78e2b1c151dbee43054e11b09fdd9b220b34a02ba136609a45ac5"
_SEPARATOR = b"\n\x1e\n"  # between documents (files); see bench/make_corpus.py


def default_corpus_bytes() -> bytes:
    """The shipped default corpus, byte for byte."""
    from importlib.resources import files

    return files(__package__).joinpath("corpus", DEFAULT_CORPUS).read_bytes()


def _default_documents(raw: bytes) -> list[bytes]:
    return [d for d in raw.split(_SEPARATOR) if d.strip()]


def _file_documents(path: str) -> list[bytes]:
    with open(path, "rb") as fh:
        raw = fh.read()
    if path.endswith((".jsonl", ".ndjson")):
        docs = []
        for line in raw.splitlines():
            if not line.strip():
                continue
            obj = json.loads(line)
            text = obj.get("text") if isinstance(obj, dict) else obj
            if not isinstance(text, str) and isinstance(obj, dict):
                text = next((v for v in obj.values() if isinstance(v, str)), None)
            if isinstance(text, str):
                docs.append(text.encode("utf-8"))
        return docs
    if path.endswith((".txt", ".md")) or b"\0" not in raw[:4096]:
        return [d for d in raw.split(b"\n\n\n") if d.strip()] or [raw]  # blank-line runs end documents
    return [raw[i:i + 65536] for i in range(0, len(raw), 65536)]  # raw bytes: fixed-size documents


class ByteCorpus:
    """A flat byte stream with a parallel document-id stream."""

    def __init__(self, documents: list[bytes], name: str, sha256: str = "") -> None:
        if not documents:
            raise ValueError(f"no documents in {name}")
        self.name = name
        self.sha256 = sha256  # of the file the documents came from ("" when built in memory)
        stream = bytearray()
        ids: list[int] = []
        for i, doc in enumerate(documents):
            stream += doc
            ids.extend([i] * len(doc))
        self.bytes = torch.frombuffer(stream, dtype=torch.uint8).to(torch.int64)  # (N,)
        self.doc = torch.tensor(ids, dtype=torch.int64)  # (N,)

    def __len__(self) -> int:
        return int(self.bytes.numel())

    def batch(self, index: int, batch_size: int, seq_len: int, seed: int) -> Batch:
        """Batch number ``index``: B rows of L+1 bytes at seeded offsets (deterministic)."""
        g = torch.Generator().manual_seed(seed * 1_000_003 + index)
        span = seq_len + 1
        if len(self) <= span:
            raise ValueError(f"corpus {self.name} has {len(self)} bytes, need > {span}")
        starts = torch.randint(0, len(self) - span, (batch_size,), generator=g)  # (B,)
        offs = starts[:, None] + torch.arange(span)[None, :]  # (B, L+1)
        return Batch(self.bytes[offs], self.doc[offs])


def load_corpus(path: str | None = None) -> ByteCorpus:
    """The default corpus, or the documents in ``path``; ``.sha256`` is the file's hash."""
    if path is None:
        raw = default_corpus_bytes()
        return ByteCorpus(_default_documents(raw), f"hnet-lint {DEFAULT_CORPUS}", hashlib.sha256(raw).hexdigest())
    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest() if hasattr(hashlib, "file_digest") \
            else hashlib.sha256(fh.read()).hexdigest()
    return ByteCorpus(_file_documents(path), path, digest)
