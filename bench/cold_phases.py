"""Where a cold single-file run spends its time: timestamps between the imports and steps
of one lint, in one fresh process (run it several times; the first line is the floor).

    python bench/cold_phases.py examples/recommended.yaml

Run it with bytecode compiled (``python -m compileall -q hnet_lint``), as an installed
package has it: with ``PYTHONDONTWRITEBYTECODE=1`` and no ``__pycache__`` every run compiles
hnet-lint's source first, which roughly doubles its own import time.
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
    from hnet_lint.load import records
    for name in ("HNetModelConfig", "RoutingSection", "OptimizerSection", "ScheduleSection",
                 "TrainingSection", "DataSection", "GenerationSection"):
        records.validator(name)  # pydantic-core validators from the generated core schemas
    _mark("validators of a native file")
    from hnet_lint.api import lint_paths
    report = lint_paths([path])
    _mark("lint the file")
    from hnet_lint.report import RenderContext, get_reporter
    get_reporter("text")(report, RenderContext())
    _mark("render")
    print(" ".join(_out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "examples/recommended.yaml")
