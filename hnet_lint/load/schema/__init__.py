"""Pydantic models of the three config dialects hnet-lint reads.

Schemas say what is *well-formed* (types, allowed names, closed key sets); whether the values
make sense together is the job of the rules. The JSON Schemas in ``schemas/`` are generated
from these models (``hnet-lint schema``), so attribute docstrings here become editor hover docs.
"""

from .flat import FlatConfig
from .model import AttnConfig, HNetModelConfig, SSMConfig
from .native import (
    DataSection, GenerationSection, NativeConfig, OptimizerSection, RoutingSection,
    ScheduleSection, TrainingSection,
)

__all__ = [
    "AttnConfig", "DataSection", "FlatConfig",
    "GenerationSection", "HNetModelConfig", "NativeConfig", "OptimizerSection",
    "RoutingSection", "SSMConfig", "ScheduleSection", "TrainingSection",
]
