"""Turn a parsed document of any dialect into a :class:`~hnet_lint.load.runconfig.RunConfig`."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Callable

from ..diagnostics import Diagnostic
from .dialect import DIALECTS, detect_dialect
from .codes import make
from ..repo import folders_up_to_repo_root
from .runconfig import RunConfig, SourceMap
from .source import SourceDoc, load_file
from .validation import field_names, unknown_key_diagnostic, validate_section

__all__ = ["detect_dialect", "normalize", "DIALECTS"]

# Sections are validated by pydantic-core against schemas generated from the classes in
# .schema (see .records); each validator is built on its first use, so a run over native
# configs never builds the flat dialect's.
_SECTION_NAMES = ("routing", "optimizer", "schedule", "training", "data", "generation")

if TYPE_CHECKING:
    from .records import Record

#: section -> the schema class it is validated against (by name: see .records)
_NATIVE_SECTIONS = {"routing": "RoutingSection", "optimizer": "OptimizerSection",
                    "schedule": "ScheduleSection", "training": "TrainingSection",
                    "data": "DataSection", "generation": "GenerationSection"}

ModelLoader = Callable[[str], SourceDoc]


def normalize(
    doc: SourceDoc, dialect: str, load_model: ModelLoader | None = None,
    trainer: str | None = None, trainer_setting: str | None = None,
) -> tuple[RunConfig | None, list[Diagnostic]]:
    """Validate ``doc`` as ``dialect`` and build the canonical run config.

    ``load_model`` loads referenced model files (a cache in :mod:`hnet_lint.api`).
    ``trainer`` (``--trainer``) and ``trainer_setting`` choose the trainer profile of a flat
    file (:mod:`hnet_lint.load.trainers`); otherwise it is detected.
    """
    load_model = load_model or (lambda p: load_file(p))
    if not isinstance(doc.data, dict):
        span = doc.span_of(())
        got = type(doc.data).__name__
        return None, [make("HNL007", span, f"a config must be a mapping at the top, got {got}")]
    if dialect == "flat":
        return _flat(doc, load_model, trainer, trainer_setting)
    return {"native": _native, "model": _model}[dialect](doc, load_model)


def _model(doc: SourceDoc, load_model: ModelLoader) -> tuple[RunConfig, list[Diagnostic]]:
    sources = SourceMap()
    sources.add((), doc, ())
    sources.add(("model",), doc, ())
    model, diags = validate_section("HNetModelConfig", doc.data, doc, ())
    return RunConfig("model", doc, sources, model=model), diags


def _native(doc: SourceDoc, load_model: ModelLoader) -> tuple[RunConfig, list[Diagnostic]]:
    data: dict = doc.data
    sources = SourceMap()
    sources.add((), doc, ())
    diags: list[Diagnostic] = []
    valid_top = field_names("NativeConfig")
    for key in data:
        if key not in valid_top:
            diags.append(unknown_key_diagnostic(doc, (), key, valid_top))
    run = RunConfig("native", doc, sources)
    for name, section_model in _NATIVE_SECTIONS.items():
        section_data = data.get(name, {})
        if section_data is None:
            section_data = {}
        value, errs = validate_section(section_model, section_data, doc, (name,))
        diags.extend(errs)
        setattr(run, name, value)
    model_value = data.get("model")
    if model_value is None:
        diags.append(make("HNL008", doc.span_of(()), "missing required key 'model'"))
    elif not isinstance(model_value, (str, dict)):
        got = type(model_value).__name__
        diags.append(make("HNL007", doc.span_of(("model",)),
                          f"model must be a path to a model JSON or an inline model mapping, "
                          f"got {got}", path=("model",)))
    elif isinstance(model_value, str):
        run.model, errs = _referenced_model(doc, ("model",), model_value, [run.base_dir],
                                            sources, load_model)
        diags.extend(errs)
    else:
        sources.add(("model",), doc, ("model",))
        run.model, errs = validate_section("HNetModelConfig", model_value, doc, ("model",))
        diags.extend(errs)
    return run, diags


def _referenced_model(
    doc: SourceDoc, key_path: tuple, ref: str, search: list[str], sources: SourceMap,
    load_model: ModelLoader,
) -> tuple[Record | None, list[Diagnostic]]:
    """Load the model JSON that ``ref`` names, trying each folder of ``search`` in turn."""
    sources.add(("model",), doc, key_path)  # until the file is found, point at the reference
    candidates = [ref] if os.path.isabs(ref) else [os.path.join(d, ref) for d in search]
    found = next((c for c in candidates if os.path.isfile(c)), None)
    if found is None:
        tried = ", ".join(dict.fromkeys(_shown(c) for c in candidates))
        msg = f"model file {ref!r} not found (tried: {tried})"
        return None, [make("HNL701", doc.span_of(key_path), msg, path=key_path)]
    model_doc = load_model(found)
    diags = list(model_doc.diagnostics)
    if model_doc.root is None:
        return None, diags
    if not isinstance(model_doc.data, dict):
        diags.append(make("HNL007", model_doc.span_of(()), "a model config must be a mapping"))
        return None, diags
    sources.add(("model",), model_doc, ())
    model, errs = validate_section("HNetModelConfig", model_doc.data, model_doc, ())
    return model, diags + errs


# Flat keys -> canonical paths. Order matters only for readability.
_FLAT_MAP: dict[str, tuple] = {
    "learning_rate": ("optimizer", "lr"),
    "lr_multipliers": ("optimizer", "lr_multiplier"),
    "adam_eps": ("optimizer", "eps"),
    "weight_decay": ("optimizer", "weight_decay"),
    "warmup_steps": ("schedule", "warmup_steps"),
    "warmup_ratio": ("schedule", "warmup_ratio"),
    "num_training_steps": ("schedule", "total_steps"),
    "lr_scheduler": ("schedule", "name"),
    "stable_ratio": ("schedule", "stable_ratio"),
    "decay_ratio": ("schedule", "decay_ratio"),
    "decay_type": ("schedule", "decay_type"),
    "min_lr": ("schedule", "min_lr"),
    "max_grad_norm": ("training", "grad_clip"),
    "batch_size": ("training", "batch_size"),
    "gradient_accumulation_steps": ("training", "grad_accum_steps"),
    "max_seq_length": ("training", "seq_len"),
    "dtype": ("training", "param_dtype"),
    "seed": ("training", "seed"),
    "downsampling_factors": ("routing", "target_ratio"),
    "load_balancing_weight": ("routing", "ratio_loss_weight"),
}


def _flat(doc: SourceDoc, load_model: ModelLoader, trainer: str | None = None,
          trainer_setting: str | None = None) -> tuple[RunConfig, list[Diagnostic]]:
    """A flat trainer file, read as the selected trainer profile reads it (see
    :mod:`hnet_lint.load.trainers`); with no profile, only what the file wrote."""
    from ..diagnostics import HnetLintError
    from .trainers import select_profile
    from .trainers.registry import detect

    data: dict = doc.data
    diags: list[Diagnostic] = []
    try:
        selection = select_profile(data, trainer, trainer_setting)
    except HnetLintError as exc:  # a bad `trainer:` key in the file
        diags.append(make("HNL007", doc.span_of(("trainer",)), str(exc), path=("trainer",)))
        selection = detect(data)
    profile = selection.profile
    sources = SourceMap()
    sources.add((), doc, ())
    run = RunConfig("flat", doc, sources)
    run.trainer, run.trainer_selection = profile, selection
    family = profile.name if profile else None
    ref_key = "model_config_path" if family == "if001-hnet" else "model_config"
    if family == "hierarchical-hnet":
        from .trainers.launched import view_of

        diags.extend(_hierarchical_checks(doc, profile, view_of(run)))
    elif family is None:
        diags.extend(_validated_flat(doc, unknown_keys=False)[1])
    else:
        diags.extend(_if001_checks(doc, profile))
    ref = data.get(ref_key)
    if isinstance(ref, str):
        run.model, errs = _referenced_model(doc, (ref_key,), ref, _search_dirs(doc),
                                            sources, load_model)
        diags.extend(errs)
    canonical, defaults, written_at = _flat_canonical(profile, data, run)
    sections: dict[str, dict[str, Any]] = {s: {} for s in _SECTION_NAMES}
    for path, value in canonical.items():
        sections[path[0]][path[1]] = value
        key = written_at.get(path)
        if key is not None:
            sources.add(path, doc, (key,))
    for path, value in defaults.items():
        run.defaults[path] = value
    if family in (None, "hierarchical-hnet"):
        sources.add(("optimizer", "betas", 0), doc, ("adam_beta1",))
        sources.add(("optimizer", "betas", 1), doc, ("adam_beta2",))
    if "param_dtype" in sections["training"]:
        from .dtypes import normalize_dtype

        sections["training"]["param_dtype"] = normalize_dtype(sections["training"]["param_dtype"])
    for name, section_model in _NATIVE_SECTIONS.items():
        # Type errors were reported against the file above; what is left to fail are values
        # the flat format allows and the canonical one does not: those fields are dropped.
        value, _ = validate_section(section_model, sections[name], doc, ())
        setattr(run, name, value)
    return run, diags


def _flat_canonical(profile, data: dict, run: RunConfig) -> tuple[dict, dict, dict]:
    """(canonical values, defaults, file key per canonical path) for ``profile``."""
    from .trainers.canonical import hierarchical_values, if001_values, split_numbers

    if profile is None:  # no trainer: only what the file wrote, no defaults, no grouping
        canonical, written_at = {}, {}
        flat, _ = _validated_flat(run.doc, unknown_keys=False, report=False)
        values = dict(flat.model_dump(by_alias=True, exclude_none=True)) if flat else {}
        for key, target in _FLAT_MAP.items():
            value = values.get(key)
            if key == "lr_multipliers" and value is not None:
                value = split_numbers(value)
            if value is not None:
                canonical[target] = value
                written_at[target] = key
        betas = [values.get("adam_beta1"), values.get("adam_beta2")]
        if None not in betas:
            canonical[("optimizer", "betas")] = betas
            written_at[("optimizer", "betas")] = "adam_beta2"
        return canonical, {}, written_at
    if profile.name == "if001-hnet":
        return if001_values(profile, data)
    from .trainers.launched import view_of

    canonical, defaults, written_at = hierarchical_values(profile, view_of(run).values)
    if profile.target_ratio_policy.startswith("default:") and run.num_stages:
        # downsampling_factors is not read: every stage's loss uses the fixed N.
        fixed = float(profile.target_ratio_policy.split(":", 1)[1])
        canonical[("routing", "target_ratio")] = [fixed] * run.num_stages
        defaults[("routing", "target_ratio")] = canonical[("routing", "target_ratio")]
        written_at[("routing", "target_ratio")] = "downsampling_factors"
    return canonical, defaults, written_at


def _validated_flat(doc: SourceDoc, unknown_keys: bool, report: bool = True,
                    known_extra: frozenset[str] = frozenset(), values: dict | None = None):
    """Type-check the keys :class:`FlatConfig` knows; other keys are left to the profile.
    ``values``: the file's values as its trainer receives them (default: as written)."""
    source = doc.data if values is None else values
    data = {k: v for k, v in source.items() if k != "trainer" and k not in known_extra}
    if isinstance(data.get("downsampling_factors"), str):  # the launchers pass "6.0,4.0"
        data.pop("downsampling_factors")
    known = set(field_names("FlatConfig"))
    if not unknown_keys:
        data = {k: v for k, v in data.items() if k in known}
    flat, errs = validate_section("FlatConfig", data, doc, ())
    return flat, (errs if report else [])


def _hierarchical_checks(doc: SourceDoc, profile, view) -> list[Diagnostic]:
    """Types, required keys and argparse choices as hierarchical-hnet's launcher sees them."""
    from .trainers.hierarchical import ALL_KEYS

    data: dict = doc.data
    diags: list[Diagnostic] = []
    for key in data:
        if key != "trainer" and key not in ALL_KEYS:
            diag = unknown_key_diagnostic(doc, (), key, sorted(ALL_KEYS), code="HNL009")
            diags.append(diag.__class__(**{**_fields(diag), "message": diag.message.replace(
                f"unknown key {key!r}", f"{profile.label} never reads {key!r}", 1)}))
    # Values reach scripts/train.py as printed text parsed by argparse (trainers/launched.py):
    # what argparse rejects is reported as such; the schema then checks what it produced
    # (a quoted "3e-4" is the number it becomes). dtype spellings and scheduler names are
    # checked against the trainer's own choices below, not against the generic flat schema.
    for key, why in view.rejected.items():
        diags.append(make("HNL007", doc.span_of((key,)),
                          f"{key} {data[key]!r} {why} ({profile.label})", path=(key,)))
    _, errs = _validated_flat(doc, unknown_keys=False, values=view.values,
                              known_extra=frozenset({"dtype", "decay_type", "lr_scheduler"}))
    diags.extend(errs)
    mult = data.get("lr_multipliers")
    if isinstance(mult, str):
        _, err = _comma_list(mult, doc)
        if err:
            diags.append(err)
    for key in profile.required_keys:
        if key not in data:
            diags.append(make(
                "HNL008", doc.span_of(()),
                f"missing required key {key!r}: {profile.label}'s load_hyperparams.sh reads it "
                f"with ['{key}'] (KeyError), so the launch fails", path=(key,)))
        elif data[key] is None:
            diags.append(make(
                "HNL008", doc.span_of((key,)),
                f"required key {key!r} is null: {profile.label}'s load_hyperparams.sh prints it "
                f"as the text None, which scripts/train.py takes for {key}; write a value",
                path=(key,)))
    for key, fact in profile.keys.items():
        value = data.get(key)
        if key in view.rejected or key in view.unpassed:
            continue
        if fact.choices and value is not None and fact.effect != "ignored" and (
                not isinstance(value, str) or value not in fact.choices):
            diags.append(make(
                "HNL007", doc.span_of((key,)),
                f"{key} {value!r} is rejected by {profile.label}'s scripts/train.py "
                f"(argparse choices: {', '.join(fact.choices)})", path=(key,)))
    return diags


def _if001_checks(doc: SourceDoc, profile) -> list[Diagnostic]:
    """Unknown keys and number types of an if001/hnet ``training_config.json``."""
    diags: list[Diagnostic] = []
    data: dict = doc.data
    for key, value in data.items():
        if key == "trainer":
            continue
        if key not in profile.keys:
            diags.append(unknown_key_diagnostic(doc, (), key, sorted(profile.keys),
                                                code="HNL009"))
            continue
        default = profile.default(key)
        if value is None or default is None or isinstance(default, (str, list)):
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            diags.append(make("HNL007", doc.span_of((key,)),
                              f"{key} must be a number, got {type(value).__name__}",
                              path=(key,)))
    return diags


def _fields(diag: Diagnostic) -> dict:
    from dataclasses import fields

    return {f.name: getattr(diag, f.name) for f in fields(diag)}


def _shown(path: str) -> str:
    """A path as a user would type it: relative inside the working directory."""
    rel = os.path.relpath(path)
    return os.path.abspath(path) if rel.startswith("..") else rel


def _comma_list(text: str, doc: SourceDoc) -> tuple[list[float] | None, Diagnostic | None]:
    try:
        return [float(part) for part in text.split(",")], None
    except ValueError:
        msg = (f"lr_multipliers {text!r} is not a comma-separated list of numbers: the trainer "
               "splits it on ',' and float() raises on a part")
        return None, make("HNL007", doc.span_of(("lr_multipliers",)), msg,
                          path=("lr_multipliers",))


def _search_dirs(doc: SourceDoc) -> list[str]:
    """The config's folder, each parent up to the repository root, then the working dir."""
    dirs = folders_up_to_repo_root(os.path.dirname(os.path.abspath(doc.path)),
                                   outside_repo="stop")
    if os.getcwd() not in dirs:
        dirs.append(os.getcwd())
    return dirs
