"""Properties that hold for any input: linting never raises, spans lie inside the file, and
the output is deterministic.

Inputs are arbitrary YAML/JSON documents, raw text, and random mutations of a valid 1- or
2-stage native config (dropped keys, wrong types, negative or huge numbers, short lists,
mangled ``arch_layout``).
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hnet_lint.api import lint_paths
from hnet_lint.diagnostics import Diagnostic

PROFILE = settings(max_examples=int(os.environ.get("HNL_PROP_EXAMPLES", "100")), deadline=None,
                   derandomize="HNL_PROP_EXAMPLES" not in os.environ,
                   suppress_health_check=[HealthCheck.too_slow,
                                          HealthCheck.function_scoped_fixture])

KEYS = ["model", "arch_layout", "d_model", "d_intermediate", "vocab_size", "ssm_cfg",
        "attn_cfg", "num_heads", "rotary_emb_dim", "window_size", "routing", "target_ratio",
        "optimizer", "lr", "lr_multiplier", "schedule", "warmup_steps", "total_steps",
        "training", "grad_clip", "generation", "temperature", "model_config",
        "learning_rate", "lr_multipliers", "data", "train"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["m4", "T22", "m2T2", "x4", "", "2e-4", "yes", "0755", "3.0,1.7,0.9"]),
)
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=8))
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(keys, inner, max_size=5)),
    max_leaves=25,
)

BASE_1STAGE: dict[str, Any] = {
    "model": {
        "arch_layout": ["m2", ["T4"], "m2"], "d_model": [256, 320],
        "d_intermediate": [0, 768], "vocab_size": 256,
        "ssm_cfg": {"chunk_size": 64, "d_conv": 4, "d_state": 32, "expand": 2},
        "attn_cfg": {"num_heads": [4, 4], "rotary_emb_dim": [16, 16],
                     "window_size": [255, -1]},
        "tie_embeddings": False,
    },
    "routing": {"target_ratio": [6.0], "ratio_loss_weight": 0.03},
    "optimizer": {"lr": 2.0e-4, "lr_multiplier": [2.0, 1.0], "betas": [0.9, 0.95]},
    "schedule": {"name": "wsd", "warmup_steps": 500, "total_steps": 10000,
                 "stable_ratio": 0.7, "decay_ratio": 0.25, "min_lr": 1.0e-5},
    "training": {"seq_len": 8192, "grad_clip": 1.0, "param_dtype": "float32",
                 "autocast_dtype": "bfloat16", "batch_size": 8},
    "generation": {"temperature": 0.8, "top_p": 0.9, "top_k": 0, "max_tokens": 2048,
                   "repetition_penalty": 1.0},
    "data": {"train": "data/*.txt"},
}
BASE_2STAGE = copy.deepcopy(BASE_1STAGE)
BASE_2STAGE["model"].update({
    "arch_layout": ["m2", ["m2", ["T4"], "m2"], "m2"], "d_model": [256, 256, 320],
    "d_intermediate": [0, 0, 768],
    "attn_cfg": {"num_heads": [4, 4, 4], "rotary_emb_dim": [16, 16, 16],
                 "window_size": [255, 255, -1]},
})
BASE_2STAGE["routing"]["target_ratio"] = [3.0, 3.0]
BASE_2STAGE["optimizer"]["lr_multiplier"] = [2.0, 1.5, 1.0]

BASE_FLAT: dict[str, Any] = {
    "model_config": "model.json", "learning_rate": 3e-4, "lr_multipliers": "2.0,1.0",
    "warmup_steps": 500, "num_training_steps": 10000, "max_grad_norm": 1.0,
    "lr_scheduler": "wsd", "stable_ratio": 0.7, "decay_ratio": 0.25, "adam_beta2": 0.95,
    "downsampling_factors": [6.0], "load_balancing_weight": 0.03, "max_seq_length": 8192,
    "dtype": "bfloat16", "seed": 0,
}
#: flat files read through the trainer profiles (their defaults, key maps and checks)
BASE_HIERARCHICAL: dict[str, Any] = {
    **BASE_FLAT, "trainer": "hierarchical-hnet@d28b7c4", "batch_size": 8,
    "gradient_accumulation_steps": 4, "output_dir": "runs/x", "backend": "nccl",
    "decay_type": "sqrt", "warmup_ratio": 0.1,
}
BASE_IF001: dict[str, Any] = {
    "trainer": "if001-hnet", "model_config_path": "model.json", "seq_len": 2048,
    "batch_size": 32, "grad_accum_steps": 16, "max_steps": 1000, "learning_rate": 3.5e-4,
    "min_learning_rate": 3e-5, "warmup_steps": 20, "weight_decay": 0.1,
    "grad_clip_norm": 1.0, "compression_ratios": [6.0], "lr_multipliers": [1.5, 1.0],
    "train_ratio_weight": 0.02, "seed": 42,
}
BASES = [BASE_1STAGE, BASE_2STAGE, BASE_FLAT, BASE_HIERARCHICAL, BASE_IF001,
         BASE_1STAGE["model"], BASE_2STAGE["model"]]

replacements = st.one_of(
    st.none(), st.booleans(), st.text(max_size=6), st.sampled_from([-1, 0, -1e9, 10**30]),
    st.floats(min_value=-1e300, max_value=1e300), st.integers(-10**6, 10**6),
    st.lists(st.integers(-5, 5000), max_size=4), st.dictionaries(st.text(max_size=4),
                                                                  st.integers(), max_size=2),
)
layouts = st.recursive(
    st.one_of(st.sampled_from(["m4", "T2", "M0", "t1m1", "x4", "", "T 2", "mT"]),
              st.text(alphabet="mMtT0123 x", max_size=5)),
    lambda inner: st.lists(inner, max_size=4), max_leaves=8,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path into a nested dict/list value."""
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            out += _paths(child, prefix + (i,))
    return out


def _parent(doc: Any, path: tuple) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


@st.composite
def mutated_configs(draw: st.DrawFn) -> dict[str, Any]:
    """A valid config with 1 to 4 random mutations applied."""
    doc = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _parent(doc, path), path[-1]
        action = draw(st.sampled_from(["drop", "replace", "negate", "shorten", "layout"]))
        if action == "layout":
            model = doc if "arch_layout" in doc else doc.get("model")
            if isinstance(model, dict):
                model["arch_layout"] = draw(layouts)
        elif action == "drop":
            if isinstance(parent, dict):
                del parent[last]
            else:
                parent.pop(last)
        elif action == "negate" and isinstance(parent[last], (int, float)) \
                and not isinstance(parent[last], bool):
            parent[last] = -parent[last] * draw(st.sampled_from([1, 10**6]))
        elif action == "shorten" and isinstance(parent[last], list):
            parent[last] = parent[last][: draw(st.integers(0, max(0, len(parent[last]) - 1)))]
        else:
            parent[last] = draw(replacements)
    return doc


_WORKDIR = Path(tempfile.mkdtemp(prefix="hnet-lint-props-"))
(_WORKDIR / "model.json").write_text(json.dumps(BASE_1STAGE["model"]))  # for BASE_FLAT


def _lint(text: str, suffix: str) -> tuple[list[Diagnostic], dict[str, str]]:
    """Lint ``text`` as a file in a scratch folder; also return every file's text."""
    name = f"case{suffix}"
    (_WORKDIR / name).write_text(text, encoding="utf-8", errors="surrogatepass")
    cwd = os.getcwd()
    os.chdir(_WORKDIR)
    try:
        first = lint_paths([name]).diagnostics
        second = lint_paths([name]).diagnostics
    finally:
        os.chdir(cwd)
    assert first == second, "linting the same file twice gave different results"
    texts = {d.span.file: (_WORKDIR / d.span.file).read_text("utf-8", errors="replace")
             for d in first if (_WORKDIR / d.span.file).is_file()}
    return first, texts


def _check(diags: list[Diagnostic], texts: dict[str, str]) -> None:
    """Spans lie inside their file, start before they end, and no rule crashed."""
    for diag in diags:
        span = diag.span
        lines = max(1, len(texts.get(span.file, "").splitlines()))
        assert 1 <= span.line <= lines, diag
        assert 1 <= span.end_line <= lines + 1, diag
        assert span.column >= 1 and span.end_column >= 1, diag
        assert (span.end_line, span.end_column) >= (span.line, span.column), diag
        assert diag.code != "HNL012", diag.message


@PROFILE
@given(documents)
def test_any_yaml_document(doc: Any) -> None:
    diags, texts = _lint(yaml.safe_dump(doc), ".yaml")
    _check(diags, texts)


@PROFILE
@given(documents)
def test_any_json_document(doc: Any) -> None:
    diags, texts = _lint(json.dumps(doc), ".json")
    _check(diags, texts)


@PROFILE
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200),
       st.sampled_from([".yaml", ".json"]))
def test_any_text(text: str, suffix: str) -> None:
    diags, texts = _lint(text, suffix)
    _check(diags, texts)


@PROFILE
@example("{")  # libyaml reports this at line 2 of a 1-line file; moved into the text
@example("a: [1\n")
@given(st.text(alphabet="{}[]:,-&*!|>'\"#? \n\tmodel: 0.5e-3yesno", max_size=120))
def test_yaml_punctuation_soup(text: str) -> None:
    diags, texts = _lint(text, ".yaml")
    _check(diags, texts)


@PROFILE
@example(dict(BASE_2STAGE, model=dict(BASE_2STAGE["model"], d_model=[-1, 256, 320])),
         "yaml")  # HNL207 took sqrt of a negative width and crashed
@example(dict(BASE_1STAGE, model=dict(BASE_1STAGE["model"], d_model=[0, 320])), "json")
@example(dict(BASE_HIERARCHICAL, dtype=[1]), "json")  # normalize_dtype hashed a list and crashed
@given(mutated_configs(), st.sampled_from(["yaml", "json", "flow"]))
def test_mutated_configs(doc: dict[str, Any], style: str) -> None:
    if style == "json":
        text, suffix = json.dumps(doc, indent=2), ".json"
    else:
        text, suffix = yaml.safe_dump(doc, default_flow_style=style == "flow"), ".yaml"
    diags, texts = _lint(text, suffix)
    _check(diags, texts)
