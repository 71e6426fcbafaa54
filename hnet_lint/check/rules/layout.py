"""Layout grammar and per-stage list lengths (codes HNL101-HNL104)."""

from __future__ import annotations

from typing import Iterator

from ...diagnostics import Diagnostic, Severity
from ..engine import RuleContext, rule
from ...load.layout import LayoutError
from ...load.runconfig import RunConfig
from ._util import per_stage_lists


def _layout_error(run: RunConfig) -> LayoutError | None:
    value = run.layout_or_error
    return value if isinstance(value, LayoutError) else None


@rule("HNL101", "invalid-layout-string", Severity.ERROR, "layout")
def invalid_layout_string(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A layer string in `arch_layout` that is not a full run of `[mMtT]<count>`.

    ## Why it matters
    The official code parses layer strings with `re.findall(r"([mMtT])(\\d+)")`, which
    silently drops everything it does not match: `"m4 T2"` keeps both runs but `"x4"`,
    `"T"` or `"mamba4"` vanish, and `"M0"` builds zero layers. The model you train is
    then not the model you wrote.

    ## Example
    ```yaml
    arch_layout: ["m4", ["T 22"], "m4"]
    ```

    ## Use instead
    ```yaml
    arch_layout: ["m4", ["T22"], "m4"]
    ```
    """
    err = _layout_error(run)
    if err is not None and err.kind == "string":
        yield ctx.at(("model", "arch_layout", *err.path), str(err))


@rule("HNL102", "invalid-layout-nesting", Severity.ERROR, "layout")
def invalid_layout_nesting(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """`arch_layout` nesting other than `[encoder, inner, decoder]` or `[main]`.

    ## Why it matters
    Each stage is a 3-item list whose middle item is the next stage, and the innermost
    stage is a 1-item list. Any other length raises NotImplementedError and a string where a
    list is expected fails an assertion, but only when the model is built on the GPU node.

    ## Example
    ```yaml
    arch_layout: ["m4", "T22", "m4"]      # the inner stage must be a list
    ```

    ## Use instead
    ```yaml
    arch_layout: ["m4", ["T22"], "m4"]
    ```
    """
    err = _layout_error(run)
    if err is not None and err.kind == "nesting":
        yield ctx.at(("model", "arch_layout", *err.path), str(err))


@rule("HNL103", "stage-list-too-short", Severity.ERROR, "stages")
def stage_list_too_short(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A per-stage list with fewer than S+1 entries.

    ## Why it matters
    `d_model`, `d_intermediate`, every `attn_cfg` list and every list-valued `ssm_cfg`
    field are indexed by stage 0..S. A short list raises IndexError when the model is
    built. Attention lists are needed even for stages without attention, because every
    `Isotropic` reads its stage's attention settings. So a Mamba-only model still needs
    `attn_cfg` (the schema lets it be left out, as the official `AttnConfig` dataclass has
    empty defaults, but the model cannot be built from them): a missing or empty `attn_cfg`
    is one finding that says so and what to write; the values are not used by stages
    without attention.

    ## Example
    ```yaml
    arch_layout: ["m4", ["T22"], "m4"]    # S = 1: two stages
    d_model: [1024]
    ```

    ## Use instead
    ```yaml
    d_model: [1024, 1536]
    ```
    """
    if run.model is None or run.layout is None:
        return
    need = run.layout.width
    attn = run.model.attn_cfg
    empty_attn = not (attn.num_heads or attn.rotary_emb_dim or attn.window_size)
    if empty_attn:
        yield _attn_missing(run, ctx, need)
    for path, values in per_stage_lists(run.model):
        if empty_attn and path[:2] == ("model", "attn_cfg"):
            continue  # said once above
        if len(values) < need:
            yield ctx.at(path, f"{path[-1]} has {len(values)} entr{'y' if len(values) == 1 else 'ies'}"
                               f"; arch_layout has {need} stages (S={need - 1}), so it needs {need}")


def _attn_missing(run: RunConfig, ctx: RuleContext, need: int) -> Diagnostic:
    """One finding for a missing (or empty) ``attn_cfg``, with values to write."""
    written = run.sources.locate(("model", "attn_cfg")).written
    widths = run.model.d_model[:need]
    heads = [d // 64 if d % 64 == 0 else d // 32 if d % 32 == 0 else 1
             for d in widths if isinstance(d, int) and d > 0] or [1]
    heads += [heads[-1]] * (need - len(heads))
    has_attention = any(kind in "tT" for kind in _layer_kinds(run))
    unused = "" if has_attention else " (a Mamba-only model never uses the values)"
    what = "has no entries" if written else "is missing"
    return ctx.at(("model", "attn_cfg"),
                  f"attn_cfg {what}: the official Isotropic reads attn_cfg.num_heads, "
                  f"rotary_emb_dim and window_size for every stage, with or without attention, "
                  f"so building the model raises IndexError; give each list {need} entries, one "
                  f"per stage{unused}, e.g. attn_cfg: {{num_heads: {heads}, rotary_emb_dim: "
                  f"{[32] * need}, window_size: {[-1] * need}}}",
                  data={"stages": need, "written": written})


def _layer_kinds(run: RunConfig) -> str:
    """Every layer letter in ``arch_layout`` (``mMtT``), as written."""
    out = []

    def walk(node) -> None:
        if isinstance(node, str):
            out.extend(ch for ch in node if ch in "mMtT")
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(run.model.arch_layout)
    return "".join(out)


@rule("HNL104", "stage-list-too-long", Severity.WARNING, "stages")
def stage_list_too_long(run: RunConfig, ctx: RuleContext) -> Iterator[Diagnostic]:
    """A per-stage list with more than S+1 entries.

    ## Why it matters
    Extra entries are silently ignored. They usually mean the layout lost a stage, or the
    list was copied from a deeper model; either way a reader will believe settings that do
    not apply.

    ## Example
    ```yaml
    arch_layout: ["m4", ["T22"], "m4"]
    d_model: [1024, 1536, 2048]
    ```

    ## Use instead
    ```yaml
    d_model: [1024, 1536]
    ```
    """
    if run.model is None or run.layout is None:
        return
    need = run.layout.width
    for path, values in per_stage_lists(run.model):
        if len(values) > need:
            yield ctx.at(path + (need,), f"{path[-1]} has {len(values)} entries but arch_layout has only "
                               f"{need} stages; entries from index {need} on are ignored")
