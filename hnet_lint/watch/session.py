"""Run the user's command unchanged with the watch injected, keep every deadline, keep the records.

The command starts in its own process group with the startup hook's folder first on
``PYTHONPATH`` and ``HNET_LINT_WATCH_DIR`` naming the records folder, so every Python process it
starts (each torchrun rank included) watches itself; its output passes through untouched. The
session never waits without a deadline: before the first optimizer step ``start_timeout``,
afterwards ``step_timeout`` per step for every rank that has started stepping. A rank that
misses it is named (HNL822) and the whole group is stopped (SIGTERM, then SIGKILL). Ctrl-C
stops the command the same way; whatever the ranks wrote is judged either way.
"""

from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

from .judge import Outcome

__all__ = ["WatchPlan", "run_session", "startup_dir"]


def startup_dir() -> str:
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "startup")


@dataclass
class WatchPlan:
    command: list[str]
    folder: str
    steps: int = 20  # 0: follow the whole run
    every: int = 1
    start_timeout: float = 1800.0
    step_timeout: float = 600.0
    poll: float = 0.5
    on_progress: Optional[Callable[[str], None]] = None
    on_tick: Optional[Callable[[], None]] = None  # follow mode: judge what is there so far
    tick: float = 15.0  # seconds between two on_tick calls
    env: dict = field(default_factory=dict)


def _environment(plan: WatchPlan) -> dict:
    env = dict(os.environ)
    env.update(plan.env)
    home = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join([startup_dir()] + [p for p in [env.get("PYTHONPATH")] if p])
    env["HNET_LINT_WATCH_DIR"] = plan.folder
    env["HNET_LINT_WATCH_HOME"] = home
    env["HNET_LINT_WATCH_STEPS"] = str(plan.steps)
    env["HNET_LINT_WATCH_EVERY"] = str(plan.every)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM to the whole group, SIGKILL after ``grace`` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def run_session(plan: WatchPlan) -> Outcome:
    """Run the command to its end, a deadline or Ctrl-C; return how it ended."""
    os.makedirs(plan.folder, exist_ok=True)
    outcome = Outcome(planned=plan.steps)
    try:
        proc = subprocess.Popen(plan.command, env=_environment(plan), start_new_session=True)
    except OSError as exc:
        raise FileNotFoundError(f"cannot run {plan.command[0]!r}: {exc.strerror or exc}") from None
    started = time.monotonic()
    progress: dict[int, tuple[int, float]] = {}  # rank -> (steps, when it last advanced)
    tails = _Tails(plan.folder)
    last_tick = time.monotonic()
    try:
        while True:
            try:
                outcome.returncode = proc.wait(timeout=plan.poll)
                break
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            ranks = tails.read()
            for r, rec in ranks.items():
                n = rec.steps
                if r not in progress or n > progress[r][0]:
                    progress[r] = (n, now)
                    if plan.on_progress and n and plan.steps:
                        plan.on_progress(f"rank {r}: optimizer step {n}/{plan.steps}")
            stuck = _overdue(progress, ranks, now, started, plan)
            if stuck:
                outcome.stuck = stuck
                _stop(proc)
                outcome.returncode = proc.returncode
                break
            if plan.on_tick and now - last_tick > plan.tick:
                plan.on_tick()
                last_tick = time.monotonic()  # judging costs time too: the next one waits as long
    except KeyboardInterrupt:
        outcome.interrupted = True
        _stop(proc)
        outcome.returncode = proc.returncode
    outcome.unloadable = _unloadable(plan.folder)
    return outcome


class _Tail:
    """What the deadline needs from one rank's file, read incrementally (the parent must not
    re-read a long run's records every poll: on a small machine that costs the trainer time)."""

    def __init__(self) -> None:
        self.offset = 0
        self.steps = 0
        self.attached = False
        self.finished = False
        self.partial = b""


class _Tails:
    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.files: dict[str, _Tail] = {}
        self.rank_of: dict[str, int] = {}

    def read(self) -> dict[int, _Tail]:
        for path in glob.glob(os.path.join(self.folder, "rank*-*.jsonl")):
            if path not in self.files:
                stem = os.path.basename(path)[len("rank"):].split("-")[0]
                if not stem.isdigit():
                    continue
                self.files[path], self.rank_of[path] = _Tail(), int(stem)
            tail = self.files[path]
            try:
                with open(path, "rb") as fh:
                    fh.seek(tail.offset)
                    chunk = fh.read()
            except OSError:
                continue
            tail.offset += len(chunk)
            lines = (tail.partial + chunk).split(b"\n")
            tail.partial = lines.pop()
            for line in lines:
                try:
                    kind = json.loads(line).get("kind")
                except ValueError:
                    continue
                if kind == "step":
                    tail.steps += 1
                elif kind == "attach":
                    tail.attached = True
                elif kind in ("exit", "crash"):
                    tail.finished = True
        by_rank: dict[int, _Tail] = {}
        for path, tail in self.files.items():  # a rank's process that stepped wins over its launcher's
            r = self.rank_of[path]
            if r not in by_rank or (tail.attached and not by_rank[r].attached):
                by_rank[r] = tail
        return by_rank


def _overdue(progress: dict, ranks: dict, now: float, started: float, plan: WatchPlan) -> Optional[dict]:
    stepping = {r: p for r, p in progress.items() if p[0] > 0 or ranks[r].attached}
    if not stepping:
        if now - started > plan.start_timeout:
            return {"rank": min(progress) if progress else 0, "step": 0, "seconds": now - started,
                    "others": 0, "phase": "start"}
        return None
    finished = {r for r, rec in ranks.items() if rec.finished}
    waiting = {r: p for r, p in stepping.items() if r not in finished}
    if not waiting:
        return None
    r, (n, when) = min(waiting.items(), key=lambda kv: (kv[1][0], kv[1][1]))
    if now - when > plan.step_timeout:
        others = max(p[0] for p in stepping.values())
        return {"rank": r, "step": n, "seconds": now - when, "others": others, "phase": "step"}
    return None


def _unloadable(folder: str) -> list[dict]:
    out = []
    for path in glob.glob(os.path.join(folder, "unloadable-*.json")):
        try:
            with open(path, encoding="utf-8") as fh:
                out.append(json.load(fh))
        except (OSError, ValueError):
            pass
    return out

