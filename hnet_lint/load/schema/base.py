"""The shared pydantic base: strict types, unknown keys forbidden, docstrings as descriptions."""

# (no __future__ annotations: pydantic would have to eval strings at build time)

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..dtypes import normalize_dtype  # re-exported: it lived here

__all__ = ["Strict", "PosInt", "NonNegInt", "Number", "ClipThreshold", "DType", "normalize_dtype"]


class Strict(BaseModel):
    """Base of every schema: a typo is an error, and ``"3e-4"`` is not a number.

    ``strict=True`` matches what a trainer sees: PyYAML hands it the string ``'2e-4'``, so
    accepting it here would hide the bug (lax pydantic would quietly convert it).

    Attribute docstrings are the field documentation. They are *not* read at import
    (pydantic's ``use_attribute_docstrings`` costs ~25 ms of startup through ``inspect``);
    the JSON Schema generator reads them with ``ast`` instead.
    """

    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, use_attribute_docstrings=False,
        defer_build=True,  # built on first validation: a native file never builds FlatConfig
        # NaN and infinity are never a hyperparameter (YAML's .nan/.inf, JSON's NaN, or
        # hierarchical-hnet's "nan" that argparse turns into one); a clipping threshold
        # alone may be infinite (ClipThreshold)
        allow_inf_nan=False,
    )


PosInt = Annotated[int, Field(gt=0)]
NonNegInt = Annotated[int, Field(ge=0)]
Number = float  # ints are accepted for floats in strict mode
#: a gradient-clipping threshold: ``inf`` means "never clip" to ``clip_grad_norm_``, so the
#: non-finite values are let through here and judged by HNL306/HNL307 (NaN: no threshold)
ClipThreshold = Annotated[float, Field(allow_inf_nan=True)]

DType = Literal["float32", "fp32", "bfloat16", "bf16", "float16", "fp16"]
