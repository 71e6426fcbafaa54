"""Where a cold single-file run spends its time: timestamps between the imports and steps
of one lint, in one fresh process (run it several times; the first line is the floor).

    python bench/cold_phases.py examples/recommended.yaml
"""

from __future__ import annotations

import sys
import time

_marks = [time.perf_counter()]
_out: list[str] = []


def _mark(name: str) -> None:
    _marks.append(time.perf_counter())
    _out.append(f"{name}={1000 * (_marks[-1] - _marks[-2]):.1f}ms")


def main(path: str) -> None:
    import click  # noqa: F401
    import pydantic  # noqa: F401
    import yaml  # noqa: F401
    _mark("floor (pydantic, yaml, click)")
    import hnet_lint.cli  # noqa: F401
    import hnet_lint.commands.lint  # noqa: F401
    _mark("cli")
    from hnet_lint.check.engine import registry
    registry()
    _mark("engine+rules")
    from pydantic import BaseModel, ConfigDict

    class Trivial(BaseModel):  # what any use of a pydantic model costs once per process
        model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
        x: int = 1

    Trivial.model_validate({"x": 2})
    _mark("pydantic one-time (a trivial model)")
    from hnet_lint.load.schema.model import HNetModelConfig
    from hnet_lint.load.schema.native import NativeConfig
    _mark("our schema classes")
    HNetModelConfig.model_rebuild()
    NativeConfig.model_rebuild()
    _mark("our validator builds")
    from hnet_lint.api import lint_paths
    report = lint_paths([path])
    _mark("lint the file")
    from hnet_lint.report import RenderContext, get_reporter
    get_reporter("text")(report, RenderContext())
    _mark("render")
    print(" ".join(_out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "examples/recommended.yaml")
