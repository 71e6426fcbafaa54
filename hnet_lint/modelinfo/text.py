"""Plain-text rendering of `ModelInfo` for the terminal (no colour, no third-party deps)."""

from __future__ import annotations

from collections.abc import Sequence

from .info import LayerCounts, ModelInfo, StageInfo

__all__ = ["format_model_info"]



def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell; the first is left-aligned, the rest right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    return [line(header), *(line(r) for r in rows)]


def _si(value: float) -> str:
    """1234567 -> '1.23 M'; FLOPs span many orders of magnitude, so a fixed unit would not do."""
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.3g}"


def _size(n_bytes: int) -> str:
    """Binary units, picked so small test models do not all read '0.00 GiB'."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.2f} {unit}"
    return f"{n_bytes} B"


def _opt(value: object) -> str:
    return "-" if value is None else str(value)


def _layers(counts: LayerCounts) -> str:
    parts = [f"{letter}{n}" for letter, n in zip("mMtT", (counts.m, counts.M, counts.t, counts.T)) if n]
    return " ".join(parts) or "-"


def _heights(stage: StageInfo) -> str:
    if stage.innermost:
        return f"main {stage.height('main')}"
    return f"{stage.height('encoder')}/{stage.height('decoder')}"


def _param_lines(info: ModelInfo) -> list[str]:
    header = ["stage", "d_model", "d_ff", "layout", "enc/main", "dec", "routing", "res_proj", "pad", "total"]
    rows = []
    for s in info.stages:
        p = s.param_breakdown
        layout = " | ".join(c.layout for c in s.components)
        enc = p.main if s.innermost else p.encoder
        rows.append([str(s.index), str(s.d_model), str(s.d_ff), layout, f"{enc:,}", f"{p.decoder:,}",
                     f"{p.routing:,}", f"{p.residual_proj:,}", f"{p.pad:,}", f"{s.params:,}"])
    rows.append(["emb+head", "", "", "tied" if info.tie_embeddings else "untied", "", "", "", "", "",
                 f"{info.embedding_params:,}"])
    rows.append(["total", "", "", "", "", "", "", "", "", f"{info.total_params:,}"])
    return ["Parameters (each stage without the stages nested in it)", *_table(header, rows)]


def _structure_lines(info: ModelInfo) -> list[str]:
    header = ["stage", "layers", "height enc/dec", "n_res", "out_proj/fc2 std", "head_dim", "rotary",
              "window", "mamba_heads", "dechunk_heads"]
    rows = [
        [str(s.index), _layers(s.layers), _heights(s), str(s.n_residuals),
         "-" if s.out_proj_std is None else f"{s.out_proj_std:.5f}", _opt(s.attn_head_dim),
         _opt(s.rotary_emb_dim), _opt(s.window_size), _opt(s.mamba_heads), _opt(s.dechunk_heads)]
        for s in info.stages
    ]
    title = f"Structure and init (other Linear weights std {info.stages[0].init_std})"
    return [title, *_table(header, rows)]


def _flops_lines(info: ModelInfo) -> list[str]:
    f = info.flops
    ratios = ", ".join(f"{r:g}" for r in f.target_ratios) or "none"
    header = ["stage", "bytes frac", "positions/seq", "matmul/pos", "attn/pos", "ssd/pos", "fwd/byte"]
    rows = [
        [str(s.index), f"{s.bytes_fraction:.4g}", f"{s.positions_per_seq:,.0f}", _si(s.matmul_per_position),
         _si(s.attention_per_position), _si(s.ssd_per_position), _si(s.forward_per_byte)]
        for s in f.stages
    ]
    rows.append(["lm_head", "1", "", "", "", "", _si(f.lm_head_per_byte)])
    return [
        f"FLOPs (seq_len {f.seq_len}, target ratios N = {ratios})",
        *_table(header, rows),
        f"forward {_si(f.forward_per_byte)}FLOP/byte; training (3x) {_si(f.train_per_byte)}FLOP/byte, "
        f"{_si(f.train_per_sequence)}FLOP/sequence",
    ]


def _memory_lines(info: ModelInfo) -> list[str]:
    m = info.memory
    autocast = m.autocast_dtype or "none"
    rows = [
        ["weights", _size(m.param_bytes)],
        ["gradients", _size(m.grad_bytes)],
        ["AdamW state (2 moments)", _size(m.optimizer_bytes)],
        ["activations", _size(m.activation_bytes)],
        ["total", _size(m.total_bytes)],
    ]
    return [
        f"Memory (batch {m.batch_size} x {m.seq_len} bytes, params {m.param_dtype}, autocast {autocast}; "
        "plain AdamW, no fp32 master copy, no checkpointing; rough)",
        *_table(["part", "size"], rows),
    ]


def format_model_info(info: ModelInfo) -> str:
    """A readable multi-section plain-text report of `info`."""
    tie = "tied" if info.tie_embeddings else "untied"
    head = [
        f"H-Net model: S = {info.num_stages} chunking stage(s), vocab {info.vocab_size}, embeddings {tie}",
        f"Total parameters: {info.total_params:,} ({_si(info.total_params)})",
    ]
    sections = [head, _param_lines(info), _structure_lines(info), _flops_lines(info), _memory_lines(info)]
    return "\n\n".join("\n".join(lines) for lines in sections)
