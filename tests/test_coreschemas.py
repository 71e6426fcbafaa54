"""The generated core schemas are fresh, are used only under the pydantic they were derived
with (any other release derives its own, once, into the user's cache), and validating with
the tables in use is validating with the pydantic classes: same accepted values, same
dumps, same errors (type, loc, msg, input, ctx), which the findings HNL006-HNL008 are made
from."""

from __future__ import annotations

import copy
import pickle

import pytest
from pydantic import ValidationError

from hnet_lint.load import coregen, coreschemas, coretables, records
from hnet_lint.load.coregen import MODELS

INLINE_MODEL = {"arch_layout": ["m4", ["T1m4", ["T27"], "m4T1"], "m4"],
                "d_model": [1024, 1536, 2048], "d_intermediate": [0, 4096, 5504]}

#: model -> inputs, valid and broken in the ways configs break
CASES: dict[str, list] = {
    "HNetModelConfig": [
        INLINE_MODEL,
        {**INLINE_MODEL, "ssm_cfg": {"d_conv": [4, 4, 3], "headdim": 64},
         "attn_cfg": {"num_heads": [16, "16"]}, "vocab_size": 0, "tie_embeddings": 1},
        {**INLINE_MODEL, "d_model": [1024, -1], "ssm_cfg": 3, "attn_cfg": None},
        {"d_model": "1024"},
        [],
        "hnet.json",
        {**INLINE_MODEL, "ssm_cfg": {"expand": 2.0}},
    ],
    "OptimizerSection": [
        {}, {"name": "adamw", "lr": 3e-4, "lr_multiplier": [3.0, 1.7, 0.9],
             "betas": [0.9, 0.95], "weight_decay": 0.1, "grouping": "official"},
        {"name": "sgd", "lr": "3e-4", "betas": [0.9], "weight_decay": -1, "lrr": 1},
        {"lr": 1, "eps": True, "lr_multiplier": "3,1.7"},
    ],
    "ScheduleSection": [
        {"name": "wsd", "warmup_steps": 2000, "total_steps": 100000, "decay_type": "sqrt"},
        {"warmup_steps": -1, "warmup_ratio": -0.1, "total_steps": 1.5, "min_lr": None},
        None,
    ],
    "TrainingSection": [
        {"param_dtype": "bf16", "batch_size": 8, "seq_len": 8192, "grad_clip": 1},
        {"batch_size": 0, "grad_accum_steps": "4", "param_dtype": "float64", "seed": 1.0},
    ],
    "RoutingSection": [{"target_ratio": [3, 3.0]}, {"target_ratio": 3, "ratio_loss_weight": "x"}],
    "DataSection": [{"train": "data/*.txt", "eval": ["a", "b"]}, {"train": 3, "eval": [1]}],
    "GenerationSection": [{"temperature": 0.8, "top_k": 0}, {"max_tokens": 0, "top_k": 1.5}],
    "FlatConfig": [
        {"learning_rate": 3e-4, "lr_multipliers": "3.0,1.7,0.9", "model_config": "m.json",
         "dtype": "bf16", "custom_key": [1, 2]},
        {"learning_rate": "3e-4", "lr_multipliers": [3, "x"], "warmup_steps": -1,
         "batch_size": 0, "lr_scheduler": "step", "model_config": 3},
    ],
}


def _pydantic_class(name: str):
    import importlib

    return getattr(importlib.import_module(MODELS[name]), name)


STALE = "hnet_lint/load/coreschemas.py is stale: run `python -m hnet_lint.load.coregen`"


def test_generated_module_was_made_from_todays_sources():
    """Whatever pydantic is installed: editing a schema class without regenerating fails."""
    assert coreschemas.SOURCE_HASH == coregen.source_hash(), STALE


def test_generated_tables_are_used_exactly_under_the_pydantic_that_derived_them():
    """Under the recorded releases the module is what that pydantic derives today, and it
    is what a lint validates with; under any other release it is not used at all."""
    if coretables.installed_versions() == coreschemas.GENERATED_WITH:
        with open(coregen.OUTPUT, encoding="utf-8") as fh:
            assert fh.read() == coregen.generated_text(), STALE
        assert coretables.origin() == "generated"
    else:
        assert coretables.origin() in ("derived", "cached")
        schemas, configs, fields = coregen.build_tables()
        assert coretables.tables() == (schemas, configs, fields)


def test_installed_versions_are_read_without_importing_pydantic():
    import pydantic
    import pydantic_core

    assert coretables.installed_versions() == {"pydantic": pydantic.VERSION,
                                               "pydantic_core": pydantic_core.__version__}


def test_generated_module_is_plain_data():
    """Nothing in it runs: every statement is a docstring or a literal assigned to a name."""
    import ast

    with open(coregen.OUTPUT, encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    assigned = []
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        assert isinstance(node, ast.Assign), ast.dump(node)[:80]
        ast.literal_eval(node.value)
        assigned += [t.id for t in node.targets]
    assert assigned == ["GENERATED_WITH", "SOURCE_HASH", "SCHEMAS", "CONFIGS", "FIELDS"]


@pytest.mark.parametrize("name", sorted(set(MODELS) - {"NativeConfig"}))
def test_every_field_of_every_class_is_known(name):
    cls = _pydantic_class(name)
    assert [(f.alias or n, n) for n, f in cls.model_fields.items()] == [
        (key, attr) for key, attr, _ in records.fields(name)]


@pytest.mark.parametrize("name,data", [(n, d) for n, cases in CASES.items() for d in cases])
def test_same_result_as_the_pydantic_class(name, data):
    cls = _pydantic_class(name)
    try:
        expected, expected_errors = cls.model_validate(copy.deepcopy(data)), None
    except ValidationError as exc:
        expected, expected_errors = None, exc.errors(include_url=False)
    try:
        got, got_errors = records.validator(name).validate_python(copy.deepcopy(data)), None
    except ValidationError as exc:
        got, got_errors = None, exc.errors(include_url=False)
    assert got_errors == expected_errors
    if expected is not None:
        assert type(got).__name__ == name
        assert got.model_dump() == expected.model_dump()
        assert got.model_dump(by_alias=True, exclude_none=True) == expected.model_dump(
            by_alias=True, exclude_none=True)
        assert got.model_fields_set == expected.model_fields_set
        assert repr(got) == repr(expected)
        for _, attr, _ in records.fields(name):
            value = getattr(got, attr)
            assert value == getattr(expected, attr) or hasattr(value, "model_dump")


def test_records_are_read_only_and_survive_pickling():
    model = records.validator("HNetModelConfig").validate_python(INLINE_MODEL)
    with pytest.raises(AttributeError):
        model.d_model = [1]
    assert model.ssm_cfg.d_state == 128 and model.attn_cfg.num_heads == []
    again = pickle.loads(pickle.dumps(model))
    assert again == model and again.model_dump() == model.model_dump()
    assert copy.deepcopy(model) == model


# -- another pydantic release: the tables are derived once and kept ------------------------

OTHER_RELEASE = {"pydantic": "2.99.0", "pydantic_core": "9.9.9"}


@pytest.fixture
def other_release(tmp_path, monkeypatch):
    """A process that runs under a pydantic the module was not generated with, and a fresh
    user cache folder."""
    monkeypatch.setenv("HNET_LINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(coretables, "installed_versions", lambda: dict(OTHER_RELEASE))
    return tmp_path / "cache" / "coretables"


def _entries(folder) -> list:
    return sorted(p.name for p in folder.glob("*")) if folder.exists() else []


def test_another_release_derives_the_tables_then_reads_them_back(other_release, monkeypatch):
    derived, where = coretables._find()
    assert where == "derived"
    assert derived == coregen.build_tables()
    [entry] = _entries(other_release)
    assert "pydantic-2.99.0-core-9.9.9" in entry and entry.startswith(
        coreschemas.SOURCE_HASH[:16])
    assert (other_release.parent / ".gitignore").is_file()  # never committed by accident

    def no_derivation():
        raise AssertionError("derived again although the cache holds the tables")

    monkeypatch.setattr(coregen, "build_tables", no_derivation)
    cached, where = coretables._find()
    assert where == "cached" and cached == derived
    assert all(isinstance(row, tuple) for rows in cached[2].values() for row in rows)


def test_a_cache_entry_that_is_not_ours_is_derived_again_and_replaced(other_release):
    coretables._find()
    [entry] = _entries(other_release)
    (other_release / entry).write_text('{"format": 1, "schemas": [], "configs": {}}')
    derived, where = coretables._find()
    assert where == "derived" and derived == coregen.build_tables()
    assert coretables._find()[1] == "cached"
    (other_release / entry).write_text(
        '{"format": 1, "schemas": {"X": {}}, "configs": {"X": {}}, "fields": {"X": []}}')
    assert coretables._find()[1] == "derived"  # well-formed, but not these models' tables


def test_an_unwritable_cache_costs_time_not_a_verdict(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("HNET_LINT_CACHE_DIR", str(blocker))  # a file: no folder inside
    monkeypatch.setattr(coretables, "installed_versions", lambda: dict(OTHER_RELEASE))
    assert coretables._find()[1] == "derived"
    assert coretables._find()[1] == "derived"
    assert not list(tmp_path.glob("**/*.tmp"))


def test_tables_json_cannot_hold_as_they_are_are_never_cached(tmp_path):
    path = tmp_path / "entry.json"
    schemas = {"X": {"type": "default", "schema": {"type": "any"}, "default": (0.9, 0.95)}}
    coretables._write(str(path), (schemas, {"X": {}}, {"X": ()}))
    assert not path.exists()  # read back, the tuple would be a list
