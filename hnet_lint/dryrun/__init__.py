"""``hnet-lint CONFIG --dry-run``: build the model, run a numerics smoke and a paired peak-LR probe.

Reading order: codes (HNL801+ registry, torch-free) -> schedule (``lr_factor``, torch-free) ->
proxy (width-reduced configs, torch-free) -> data -> build (phase 1) -> monitor (the exact checks
as hooks) -> train (one optimizer step) -> smoke (phase 2) -> decide (the LR-edge decision from
paired probes, pure) -> probe (phase 3) -> verdict and htmlreport (phase 4) -> runner -> cli_bridge;
inspect (bring your own trainer). Distributed: distributed (names, shards, rank agreement,
gathering) -> worker (one rank of ``--nproc``, under DDP or FSDP2) -> launch (torch.distributed.run).

What a dry-run can and cannot predict is argued in ``docs/evidence.md``: it decides
wiring and numerics outright and tests whether the configured peak LR is past the knee on a
proxy; it cannot rule out loss spikes that need particular data at particular weights.
Only ``codes``, ``schedule``, ``proxy`` and ``decide`` may be imported without torch.
"""

import warnings

# torch warns "Failed to initialize NumPy" at import when numpy is absent; the dry-run never
# converts tensors to numpy, so a user without numpy should not see a warning on stderr.
warnings.filterwarnings("ignore", message="Failed to initialize NumPy", category=UserWarning)
