"""Shared settings for the model tests."""

from __future__ import annotations

from typing import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_intra_op_thread() -> Iterator[None]:
    """Run each model test with one torch thread, then restore the previous count.

    Why: on a shared 2-core machine, two OpenMP threads spin at barriers whenever another process
    holds a core; the 200-step training test then took up to 3 min instead of ~25 s. The tensors
    here are tiny, so a second thread buys little even when the machine is idle.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
