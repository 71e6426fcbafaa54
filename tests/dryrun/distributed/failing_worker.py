"""``hnet_lint.dryrun.worker`` whose rank 1 raises once the process group is up (run by the tests:
``torch.distributed.run ... failing_worker.py JOB_DIR``)."""

from __future__ import annotations

import os
import sys

from hnet_lint.dryrun import worker

_run_rank = worker.run_rank


def _failing_run_rank(*args, **kwargs):
    if os.environ.get("RANK") == "1":
        raise RuntimeError("rank 1 failed on purpose")
    return _run_rank(*args, **kwargs)


worker.run_rank = _failing_run_rank

if __name__ == "__main__":
    sys.exit(worker.main(sys.argv[1:]))
