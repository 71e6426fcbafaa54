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

# Each dialect imports the schema classes it needs when its first file is read: a run over
# native configs never creates the flat dialect's classes, a model JSON needs only the
# model's (pydantic then builds each validator on its first use).

__all__ = ["detect_dialect", "normalize", "DIALECTS"]

if TYPE_CHECKING:
    from .schema.model import HNetModelConfig

_SECTION_NAMES = ("routing", "optimizer", "schedule", "training", "data", "generation")


def _native_sections() -> dict[str, type]:
    from .schema import native

    return {"routing": native.RoutingSection, "optimizer": native.OptimizerSection,
            "schedule": native.ScheduleSection, "training": native.TrainingSection,
            "data": native.DataSection, "generation": native.GenerationSection}

ModelLoader = Callable[[str], SourceDoc]


def normalize(
    doc: SourceDoc, dialect: str, load_model: ModelLoader | None = None
) -> tuple[RunConfig | None, list[Diagnostic]]:
    """Validate ``doc`` as ``dialect`` and build the canonical run config.

    ``load_model`` loads referenced model files (a cache in :mod:`hnet_lint.api`).
    """
    load_model = load_model or (lambda p: load_file(p))
    if not isinstance(doc.data, dict):
        span = doc.span_of(())
        got = type(doc.data).__name__
        return None, [make("HNL007", span, f"a config must be a mapping at the top, got {got}")]
    return {"native": _native, "flat": _flat, "model": _model}[dialect](doc, load_model)


def _model(doc: SourceDoc, load_model: ModelLoader) -> tuple[RunConfig, list[Diagnostic]]:
    from .schema.model import HNetModelConfig

    sources = SourceMap()
    sources.add((), doc, ())
    sources.add(("model",), doc, ())
    model, diags = validate_section(HNetModelConfig, doc.data, doc, ())
    return RunConfig("model", doc, sources, model=model), diags


def _native(doc: SourceDoc, load_model: ModelLoader) -> tuple[RunConfig, list[Diagnostic]]:
    from .schema.model import HNetModelConfig
    from .schema.native import NativeConfig

    data: dict = doc.data
    sources = SourceMap()
    sources.add((), doc, ())
    diags: list[Diagnostic] = []
    valid_top = field_names(NativeConfig)
    for key in data:
        if key not in valid_top:
            diags.append(unknown_key_diagnostic(doc, (), key, valid_top))
    run = RunConfig("native", doc, sources)
    for name, section_model in _native_sections().items():
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
        run.model, errs = validate_section(HNetModelConfig, model_value, doc, ("model",))
        diags.extend(errs)
    return run, diags


def _referenced_model(
    doc: SourceDoc, key_path: tuple, ref: str, search: list[str], sources: SourceMap,
    load_model: ModelLoader,
) -> tuple[HNetModelConfig | None, list[Diagnostic]]:
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
    from .schema.model import HNetModelConfig

    sources.add(("model",), model_doc, ())
    model, errs = validate_section(HNetModelConfig, model_doc.data, model_doc, ())
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


def _flat(doc: SourceDoc, load_model: ModelLoader) -> tuple[RunConfig, list[Diagnostic]]:
    from .schema.base import normalize_dtype
    from .schema.flat import FLAT_DEFAULTS, FLAT_IMPLIED, FLAT_OPERATIONAL_KEYS, FlatConfig

    data: dict = doc.data
    sources = SourceMap()
    sources.add((), doc, ())
    diags: list[Diagnostic] = []
    known = set(field_names(FlatConfig))
    for key in data:
        if key not in known and key not in FLAT_OPERATIONAL_KEYS:
            diags.append(unknown_key_diagnostic(doc, (), key, sorted(known), code="HNL009"))
    flat, errs = validate_section(FlatConfig, data, doc, ())
    diags.extend(errs)
    run = RunConfig("flat", doc, sources)
    values = dict(flat.model_dump(by_alias=True, exclude_none=True)) if flat else {}
    values = {k: v for k, v in values.items() if k in known}
    for key, default in FLAT_DEFAULTS.items():
        if key not in values:
            values[key] = default
            run.defaults[_FLAT_MAP[key]] = default
    mult = values.get("lr_multipliers")
    if isinstance(mult, str):
        values["lr_multipliers"], err = _comma_list(mult, doc)
        if err:
            diags.append(err)
    canonical: dict[str, dict[str, Any]] = {s: {} for s in _SECTION_NAMES}
    for key, target in _FLAT_MAP.items():
        if key in values and values[key] is not None:
            canonical[target[0]][target[1]] = values[key]
            sources.add(target, doc, (key,))
    betas = [values.get("adam_beta1"), values.get("adam_beta2")]
    if None not in betas:
        canonical["optimizer"]["betas"] = betas
    sources.add(("optimizer", "betas", 0), doc, ("adam_beta1",))
    sources.add(("optimizer", "betas", 1), doc, ("adam_beta2",))
    sources.add(("optimizer", "betas"), doc, ("adam_beta2",))
    for (section, name), value in FLAT_IMPLIED.items():
        canonical[section][name] = value
        run.defaults[(section, name)] = value
        sources.add((section, name), doc, ("weight_decay",))  # the key it qualifies
    if "param_dtype" in canonical["training"]:
        canonical["training"]["param_dtype"] = normalize_dtype(canonical["training"]["param_dtype"])
    for name, section_model in _native_sections().items():
        # Already type-checked against FlatConfig: this cannot fail on types, only on
        # values that the flat format allows and the canonical one does not.
        value, errs = validate_section(section_model, canonical[name], doc, ())
        setattr(run, name, value)
    ref = data.get("model_config")
    if isinstance(ref, str):
        run.model, errs = _referenced_model(doc, ("model_config",), ref, _search_dirs(doc),
                                            sources, load_model)
        diags.extend(errs)
    return run, diags


def _shown(path: str) -> str:
    """A path as a user would type it: relative inside the working directory."""
    rel = os.path.relpath(path)
    return os.path.abspath(path) if rel.startswith("..") else rel


def _comma_list(text: str, doc: SourceDoc) -> tuple[list[float] | None, Diagnostic | None]:
    try:
        return [float(part) for part in text.split(",") if part.strip()], None
    except ValueError:
        msg = f"lr_multipliers {text!r} is not a comma-separated list of numbers"
        return None, make("HNL007", doc.span_of(("lr_multipliers",)), msg,
                          path=("lr_multipliers",))


def _search_dirs(doc: SourceDoc) -> list[str]:
    """The config's folder, each parent up to the repository root (only the config's own
    folder outside a repository), then the working dir."""
    dirs = folders_up_to_repo_root(os.path.dirname(os.path.abspath(doc.path)),
                                   outside_repo="stop")
    if os.getcwd() not in dirs:
        dirs.append(os.getcwd())
    return dirs
