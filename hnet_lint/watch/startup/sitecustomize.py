"""hnet-lint watch's startup hook: put on PYTHONPATH by ``hnet-lint watch`` only.

Python imports ``sitecustomize`` at every interpreter start, so every process the watched
command starts (the trainer, each torchrun rank) runs this file. It does nothing unless
``HNET_LINT_WATCH_DIR`` is set, imports nothing heavy itself, and hands over to a
``sitecustomize`` the environment had before (a venv or distribution may ship one), so
adding it changes nothing else. The checks are installed when the process imports torch
(:mod:`hnet_lint.watch.agent`), so processes that never train pay nothing.
"""

import os
import sys


def _chain_previous() -> None:
    """Import the next ``sitecustomize`` on the path, as if this one were not there."""
    here = os.path.dirname(os.path.abspath(__file__))
    mine = sys.modules.pop("sitecustomize", None)
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    try:
        import sitecustomize  # noqa: F401 - the environment's own, if any
    except ImportError:
        pass
    except Exception as exc:  # noqa: BLE001 - theirs failing must not stop the trainer either
        sys.stderr.write(f"hnet-lint watch: the environment's sitecustomize failed: {exc}\n")
    finally:
        sys.path[:] = saved
        if mine is not None:
            sys.modules["sitecustomize"] = mine


def _activate() -> None:
    if not os.environ.get("HNET_LINT_WATCH_DIR"):
        return
    extra = os.environ.get("HNET_LINT_WATCH_HOME")
    if extra and extra not in sys.path:
        sys.path.append(extra)  # appended: the trainer's own packages keep precedence
    try:
        from hnet_lint.watch.agent import arm
    except Exception as exc:  # noqa: BLE001 - report it to the parent, never break the trainer
        _report_unloadable(exc)
        return
    arm()


def _report_unloadable(exc: BaseException) -> None:
    import json
    import time

    path = os.path.join(os.environ["HNET_LINT_WATCH_DIR"], f"unloadable-{os.getpid()}.json")
    try:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump({"pid": os.getpid(), "python": sys.executable, "error": f"{type(exc).__name__}: {exc}",
                       "time": time.time()}, fh)
    except OSError:
        pass


_chain_previous()
_activate()
