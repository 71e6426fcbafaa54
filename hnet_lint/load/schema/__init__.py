"""Pydantic models of the three config dialects hnet-lint reads: the single source of truth.

Schemas say what is *well-formed* (types, allowed names, closed key sets); whether the values
make sense together is the job of the rules. The JSON Schemas in ``schemas/`` are generated
from these models (``hnet-lint schema``), so attribute docstrings here become editor hover docs.

A lint does not import these classes: it validates with their pydantic-core schemas,
generated into :mod:`hnet_lint.load.coreschemas` (``python -m hnet_lint.load.coregen``;
a test fails when that module is stale). Each dialect's module is imported on first use
(PEP 562 ``__getattr__``), and pydantic builds each model's validator on its first
validation (``defer_build``).
"""

import importlib

__all__ = [
    "AttnConfig", "DataSection", "FlatConfig",
    "GenerationSection", "HNetModelConfig", "NativeConfig", "OptimizerSection",
    "RoutingSection", "SSMConfig", "ScheduleSection", "TrainingSection",
]

#: name -> the submodule that defines it
_WHERE = {
    "FlatConfig": "flat",
    "AttnConfig": "model", "HNetModelConfig": "model", "SSMConfig": "model",
    "DataSection": "native", "GenerationSection": "native", "NativeConfig": "native",
    "OptimizerSection": "native", "RoutingSection": "native", "ScheduleSection": "native",
    "TrainingSection": "native",
}


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
