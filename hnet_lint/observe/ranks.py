"""A deadline per step and a way out when one rank fails: no rank waits on a dead peer.

In a torchrun job every rank runs the same loop, and collectives pair up across ranks. When
one rank raises inside its step (and the exception is caught, so the process stays alive) or
stalls, its peers wait in the next collective until the process group's own timeout (30
minutes by default, on every GPU of the job). :class:`StepGuard` closes that gap for
:func:`hnet_lint.inspect`:

* a rank whose step raised writes what happened to the job's rendezvous store (the key-value
  store every rank already shares, independent of the process group) and aborts the default
  process group, so peers blocked in a collective get an error at once instead of waiting;
* a peer released that way reads the store and reports the rank that failed first;
* a watchdog thread aborts the group when one step takes longer than ``timeout`` seconds. This
  releases ranks waiting in a plain collective; measured on torch 2.13 with gloo, it does *not*
  release a rank waiting in DDP's per-forward buffer broadcast while its peer sleeps (both ranks
  then wait for the peer), so a stall without an exception is bounded by the process group's own
  timeout there; ``hnet-lint watch`` bounds it from outside the process (HNL822).

Every rank returns a result naming the rank and step; nothing waits without a deadline. In a
single process there is no peer to release: the exception propagates as it always did.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any, Optional

__all__ = ["StepGuard"]

_calls = itertools.count()  # every rank calls inspect in the same order: the same id everywhere


def _store() -> Any:
    try:
        from torch.distributed import distributed_c10d as c10d

        return c10d._get_default_store()
    except Exception:  # noqa: BLE001 - no store (not torchrun-initialised): release by abort only
        return None


def _abort() -> bool:
    """Abort the default process group: collectives pending on any rank fail instead of
    waiting (gloo closes its connections; NCCL aborts its communicators)."""
    try:
        from torch.distributed import distributed_c10d as c10d

        c10d._abort_process_group()
        return True
    except Exception:  # noqa: BLE001 - older torch: peers wait for the group's own timeout
        return False


class StepGuard:
    """Context manager around a loop of ``step_fn`` calls on one rank (see the module doc)."""

    def __init__(self, rank: int, world: int, timeout: float) -> None:
        self.rank, self.world, self.timeout = rank, world, float(timeout)
        self.prefix = f"hnet_lint/inspect/{next(_calls)}/"
        self._step = -1
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.fired = False

    @property
    def step(self) -> int:
        return self._step

    @step.setter
    def step(self, value: int) -> None:
        self._step, self._started = value, time.monotonic()

    def __enter__(self) -> "StepGuard":
        if self.world > 1:
            self._thread = threading.Thread(target=self._watch, name="hnet-lint-step-deadline", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)

    def _watch(self) -> None:
        while not self._stop.wait(0.25):
            if self._step >= 0 and time.monotonic() - self._started > self.timeout:
                self.fired = True
                self._tell(f"stuck/{self.rank}", str(self._step))
                _abort()
                return

    def _tell(self, key: str, value: str) -> None:
        store = _store()
        if store is not None:
            try:
                store.set(self.prefix + key, value)
            except Exception:  # noqa: BLE001
                pass

    def _read(self, kind: str) -> dict[int, str]:
        store = _store()
        out: dict[int, str] = {}
        if store is None:
            return out
        for r in range(self.world):
            key = self.prefix + f"{kind}/{r}"
            try:
                if store.check([key]):
                    out[r] = store.get(key).decode("utf-8", "replace")
            except Exception:  # noqa: BLE001
                pass
        return out

    def failed(self, step: int, exc: BaseException) -> dict:
        """What to report after ``step_fn(step)`` raised ``exc`` on this rank. In a single
        process the exception propagates unchanged."""
        if self.world == 1:
            raise exc
        error = f"{type(exc).__name__}: {str(exc)[:300]}"
        if self.fired or self._read("stuck"):
            stuck = self._read("stuck")
            ranks = sorted(stuck) or [self.rank]
            return {"kind": "stuck", "rank": ranks[0], "step": step, "seconds": self.timeout, "ranks": ranks,
                    "others": (f" (the deadline fired on rank{'s' if len(ranks) > 1 else ''} "
                               f"{', '.join(map(str, ranks))})")}
        earlier = {r: v for r, v in self._read("failed").items() if r != self.rank}
        if earlier and isinstance(exc, RuntimeError):  # released by a peer's abort
            r = min(earlier)
            peer_step, _, peer_error = earlier[r].partition(" ")
            return {"kind": "raised", "rank": r, "step": int(peer_step) if peer_step.isdigit() else step,
                    "error": peer_error, "released": self.rank,
                    "others": f"; rank {self.rank}'s collective failed with it ({error[:120]})"}
        self._tell(f"failed/{self.rank}", f"{step} {error}")
        released = _abort()
        return {"kind": "raised", "rank": self.rank, "step": step, "error": error,
                "others": "" if released else " (this torch cannot abort the process group: the peers wait "
                                                "for its timeout)"}
