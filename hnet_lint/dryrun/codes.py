"""Dry-run codes HNL801+: a small registry shaped like the static one, and located findings.

Torch-free on purpose: ``hnet-lint rule HNL803`` and settings selection can read these without
building anything. Each code carries a default severity, the phase that emits it, an evidence tag
(``exact``: decided outright; ``literature``: a published threshold; ``heuristic``: provisional)
and default thresholds that ``--option HNL807.margin_nats=0.1`` can override.
"""

from __future__ import annotations

import inspect as _inspect
from dataclasses import dataclass, field
from typing import Any, Hashable, Mapping

from ..check.options import flag, fraction, integer, number, positive, split_options
from ..diagnostics import Diagnostic, Severity, Span

__all__ = ["DryRunCode", "DRYRUN_CODES", "finding", "locate_span"]


@dataclass(frozen=True)
class DryRunCode:
    """Metadata of one dry-run code; ``doc`` has Why it matters / Example / Use instead."""

    code: str
    name: str
    severity: Severity
    phase: str  # build | smoke | probe | watch
    evidence: str  # exact | literature | heuristic
    doc: str
    options: Mapping[str, Any] = field(default_factory=dict)
    """Option name -> default."""
    option_specs: Mapping[str, Any] = field(default_factory=dict)
    """Option name -> declared type and range (:mod:`hnet_lint.check.options`)."""

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0]


DRYRUN_CODES: dict[str, DryRunCode] = {}


def _code(code: str, name: str, severity: Severity, phase: str, evidence: str,
          options: Mapping[str, Any] | None = None):
    defaults, specs = split_options(options)

    def decorate(fn):
        DRYRUN_CODES[code] = DryRunCode(code, name, severity, phase, evidence,
                                        _inspect.cleandoc(fn.__doc__ or ""), defaults, specs)
        return fn
    return decorate


# The functions below exist only to carry documentation, as the static rules do.

@_code("HNL801", "dryrun-build-failed", Severity.ERROR, "build", "exact")
def _build_failed() -> None:
    """The model or optimizer could not be built from the config.

    ## Why it matters
    A config that cannot be instantiated fails at job start, after the queue wait. The message
    carries the exception (e.g. a width that is not a multiple of Mamba's head dim 64/expand).

    ## Example
    ```json
    {"d_model": [100], "ssm_cfg": {"expand": 2}}
    ```

    ## Use instead
    Widths with ``expand * d_model % 64 == 0``.
    """


@_code("HNL802", "non-finite-values", Severity.ERROR, "smoke", "exact")
def _non_finite() -> None:
    """NaN or Inf in the loss, a gradient or a parameter, localized to the first module.

    ## Why it matters
    Every production stack checks this before ``optimizer.step()``; one NaN poisons AdamW's
    moments and every later step. The finding names the first module (in execution order)
    whose output went non-finite from finite inputs, and the parameters with bad gradients.

    ## Example
    A custom kernel or an ``exp`` without a clamp that overflows in bf16.

    ## Use instead
    Fix the named module; rerun ``--dry-run`` until the smoke phase is clean.
    """


@_code("HNL803", "frozen-parameters", Severity.ERROR, "smoke", "exact",
       {"max_frozen_fraction": fraction(0.5)})
def _frozen() -> None:
    """Most elements of a trainable parameter group never change across optimizer steps.

    ## Why it matters
    Parameters stored in bf16 keep 8 significant bits: near 1.0 the spacing is 0.004-0.008, so
    an AdamW step of ~lr rounds away. In the motivating run's setup 98-100% of norm gains,
    ``A_log`` and ``dt_bias`` elements never moved (docs/evidence.md §2). Only elements that
    received a non-zero gradient are counted.

    ## Example
    ```yaml
    training: {param_dtype: bfloat16, autocast_dtype: null}
    ```

    ## Use instead
    ```yaml
    training: {param_dtype: float32, autocast_dtype: bfloat16}
    ```
    """


@_code("HNL804", "lr-multiplier-not-applied", Severity.ERROR, "smoke", "exact",
       {"rel_tol": positive(1e-6)})
def _lr_not_applied() -> None:
    """A parameter group's learning rate is not base x multiplier x schedule(t).

    ## Why it matters
    The official ``group_params`` puts ``lr_multiplier`` in each group, not ``lr``. A plain
    ``torch.optim.AdamW(groups)`` ignores the unknown key and trains every stage at the base LR;
    a scheduler that writes one scalar into every group erases the ratios later.

    ## Example
    ```python
    torch.optim.AdamW(group_params(model), lr=3e-4)  # lr_multiplier silently ignored
    ```

    ## Use instead
    Set ``g["lr"] = base_lr * sched(t) * g["lr_multiplier"]`` for every group at every step.
    """


@_code("HNL805", "grads-not-zeroed", Severity.ERROR, "smoke", "exact")
def _grads_not_zeroed() -> None:
    """Gradients are not zero when a new accumulation cycle starts.

    ## Why it matters
    Each optimizer step then sees gradients summed over earlier cycles, so the effective LR
    grows with the distance to the last ``zero_grad`` (a sawtooth in the grad norm). A later
    commit of the motivating run's trainer zeroed only every 100 micro-steps.

    ## Example
    ```python
    if step % 100 == 0:
        optimizer.zero_grad()
    ```

    ## Use instead
    Call ``optimizer.zero_grad(set_to_none=True)`` right after every ``optimizer.step()``.
    """


@_code("HNL806", "decay-on-exempt-parameter", Severity.WARNING, "build", "literature")
def _decay_exempt() -> None:
    """Weight decay applies to ``A_log``, ``dt_bias``, ``D``, biases, norm gains or ``pad_dimension``.

    ## Why it matters
    Mamba marks ``A_log``, ``dt_bias`` and ``D`` ``_no_weight_decay``: decay pulls ``A`` toward
    -1 and ``dt`` toward softplus(0) = 0.69, away from their targeted init. The official
    ``group_params`` exempts only names ending in ``.bias`` or containing ``.norm.``, which
    misses ``dt_bias``, ``norm1``/``norm2``/``rmsnorm`` gains, ``A_log`` and ``D``. The harm is
    not quantified (WARN).

    ## Example
    ```python
    groups = group_params(model)  # dt_bias, A_log, D, norm1.weight decayed
    ```

    ## Use instead
    Exempt every bias, every 1-D tensor and every parameter flagged ``_no_weight_decay``.
    """


@_code("HNL807", "lr-past-the-knee", Severity.WARNING, "probe", "heuristic",
       {"margin_nats": number(0.05, lo=0.0, at_most="fail_margin_nats"),
        "fail_margin_nats": number(0.10, lo=0.0), "tail_fraction": fraction(0.25, open_low=True),
        "z": positive(2.2), "fail_z": positive(1.64), "prior_sd": positive(0.09),
        "max_seeds": integer(9, lo=1), "attention_evidence": flag(True),
        "attention_factor": positive(3.0)})
def _past_knee() -> None:
    """At the configured peak LR the probe reliably trains worse than at half the LR, over several seeds.

    ## Why it matters
    Wortsman et al. (arXiv 2309.14322) show slow divergence at high LR reappears in small
    models. Each probe pair trains the configured LR and a 0.5x control from the same init on
    the same batches; one pair's gap is within seed noise near the edge (seed sd 0.075-0.15
    nats on the tiny test model, docs/evidence.md §9), so the probe runs ``--probe-seeds``
    pairs (default 3; init and data order) and, while the decision is undecided, adds one pair
    at a time up to ``max_seeds`` (default 9). The plan printed before the first step states
    that most expensive path; only the measured gaps decide whether another pair runs, never
    the clock (``--time-budget`` still stops it: HNL815, never a pass). WARN when the mean gap
    (1x minus 0.5x tail loss) exceeds ``margin_nats`` and its lower bound ``mean - z*se`` is
    above 0; ERROR when ``mean - fail_z*se`` exceeds ``fail_margin_nats``, judged once at the
    look that decided. ``z`` 2.2 per look keeps the error rates where the fixed 3-seed rule
    had them (simulated, seed sd 0.09: false "past" at a true gap of 0 0.075 vs 0.064, false
    "not past" at a true gap of the margin 0.074 vs 0.069; Bonferroni bound over the 7 looks
    0.097). On the detection corpus (30 cases) the undecided share fell from 27% to 10% and
    every family's best LR passes (8 of 8, was 6), for 4.4 pairs on average instead of 3; on a
    held-out family (stage 0's multiplier swept) no decision changed: its best setting is still
    flagged after three high seeds, its one too-high setting still undecided
    (bench/results/detection-2026-12-06.md). At the last look only, an inconclusive gap whose
    mean is above the margin is called past when the seed median of the max attention logit is
    at least ``attention_factor`` x HNL808's ``max_logit`` (300); a logit just past 100, or a
    mean gap below the margin, never decides (``attention_evidence`` false: the gap only). The
    se shrinks the sample variance toward ``prior_sd`` (2 pseudo-degrees of freedom) so two
    lucky seeds cannot claim certainty. When neither bound decides at the cap, HNL816 says so.
    A pass means "not grossly past the edge on this proxy", not "near-optimal": the probe holds
    the peak for tens of steps.

    ## Example
    ```yaml
    optimizer: {lr: 3.0e-2, lr_multiplier: [3.0, 1.0]}
    ```

    ## Use instead
    Lower the base LR or the largest multiplier until the configured LR beats the control.

    ## How stable the outcome and severity are across CPUs (measured)
    Another CPU's vector kernels (``ATEN_CPU_CAPABILITY``) round differently and move each gap
    like another seed. The tests' tiny model (default dry-run, 9 recorded seeds, replayed;
    ``python -m bench.detection.isa_severity``), 2026-12-06:

    | base LR | CPU kernels | before (3 seeds, z 1.64) | now (3 -> 9 seeds, z 2.2) |
    |---|---|---|---|
    | 0.01 | AVX2 | warning +0.077 +- 0.045 | warning +0.059 +- 0.026 (6 seeds) |
    | 0.01 | AVX512 | inconclusive (info) +0.018 +- 0.045 | warning +0.054 +- 0.022 (9 seeds) |
    | 0.01 | DEFAULT | inconclusive (info) +0.059 +- 0.056 | warning +0.056 +- 0.025 (8 seeds) |
    | 0.02 | AVX2 | warning +0.074 +- 0.038 | warning +0.073 +- 0.030 (4 seeds) |
    | 0.02 | AVX512 | warning +0.115 +- 0.045 | warning +0.115 +- 0.045 (3 seeds) |
    | 0.02 | DEFAULT | warning +0.093 +- 0.037 | warning +0.093 +- 0.037 (3 seeds) |
    | 0.12 | AVX2 | error +0.276 +- 0.106 | error +0.276 +- 0.106 (3 seeds) |
    | 0.12 | AVX512 | warning (logit) +0.084 +- 0.062 | warning +0.122 +- 0.044 (5 seeds) |
    | 0.12 | DEFAULT | warning +0.137 +- 0.054 | warning +0.137 +- 0.054 (3 seeds) |

    The outcome held on every kernel path at all three LRs; at 1e-2 (long-run regret 0.056 on
    the corpus, 0.046 in the audit: the edge itself) it did so only because the added seeds
    took every path to "past" (with 3 seeds: warning on AVX2, inconclusive on the others). The
    severity did not hold at 0.12: error on AVX2 (``mean - 1.64 se`` = +0.102 against the 0.10
    fail margin), warning on the others, and the logit level moves 7x between paths. Read the
    severity as "at least a warning"; gate on HNL807 at any severity (``--fail-on warning``)
    when a kernel path must not change the exit code.
    """


@_code("HNL808", "attention-logit-growth", Severity.WARNING, "probe", "literature",
       {"max_logit": positive(100.0), "tail_fraction": fraction(0.25, open_low=True)})
def _attn_logits() -> None:
    """The max attention logit at the end of the probe is above 100 (seed median), rising or not.

    ## Why it matters
    H-Net's attention has no qk-norm; attention-logit growth (near one-hot attention) is the
    first high-LR failure in Wortsman et al. Megatron's qk_clip uses tau = 100. The rule reads
    the seed median of the max logit at the end of the 1x runs, whatever its trend: logits of
    600-2000 that have stopped growing are near one-hot all the same, and the old "above 100
    and still rising" rule was silent exactly there (issue 17: base LR 6e-2 and 0.12). The
    message says in how many seeds it is still rising. On the detection corpus (30 cases, 3
    seeds) the level rule flags 11 of 13 too-high LRs with 1 false alarm in 17, where the
    trend rule flagged 6 with the same false alarm; over the audit's 70 single probes a level
    of 100 had recall 0.94 at a 3% false-alarm rate. Arch- and scale-dependent: a large
    multiplier on a qk-normed model never grows logits, and late false positives were seen at
    half the bad LR.

    ## Example
    A high multiplier on the stage that holds the T layers.

    ## Use instead
    Lower that stage's multiplier, or add qk-norm.

    ## How stable it is across CPUs (measured)
    Tiny model, default dry-run, on the seeds the sequential plan ran (see HNL807):

    | base LR | CPU kernels | logit median | before (> 100 and rising) | now (median > 100) |
    |---|---|---|---|---|
    | 0.01 | AVX2 | 51 | silent | silent |
    | 0.01 | AVX512 | 59 | silent | silent |
    | 0.01 | DEFAULT | 50 | silent | silent |
    | 0.02 | AVX2 | 234 | fires | fires |
    | 0.02 | AVX512 | 157 | fires | fires |
    | 0.02 | DEFAULT | 189 | fires | fires |
    | 0.12 | AVX2 | 280 | silent | fires |
    | 0.12 | AVX512 | 1834 | fires | fires |
    | 0.12 | DEFAULT | 1993 | silent | fires |
    """


@_code("HNL809", "adam-second-moment-stale", Severity.WARNING, "probe", "heuristic",
       {"max_rms": positive(3.0), "consecutive": integer(3)})
def _stale_v() -> None:
    """RMS(g^2 / v_hat) > 1 in a tensor for several consecutive steps after warmup.

    ## Why it matters
    StableAdamW (arXiv 2304.13013): loss spikes follow 1-8 steps after AdamW's second moment
    under-estimates the squared gradient. Not validated on H-Net. The ratio's expectation is
    about 1 at steady state, so §7.2's "> 1 for 2 steps" fired on every healthy tiny probe we
    ran (per-tensor maxima 1.0-2.6 at 0.5x-2x LR); the default is 3 for 3 consecutive steps,
    2-D weights only (sparse embedding rows make the ratio meaningless).

    ## Example
    A stage whose gradients grow faster than beta2 lets v track.

    ## Use instead
    Lower that stage's LR, raise warmup, or use update clipping.
    """


@_code("HNL810", "boundary-rate-off-target", Severity.INFO, "probe", "heuristic",
       {"low": positive(0.5, at_most="high"), "high": positive(2.0)})
def _boundary() -> None:
    """A router's boundary rate ends outside [0.5/N, 2/N] or drifts monotonically to 0 or 1.

    ## Why it matters
    The ratio loss pulls the boundary rate toward 1/N. A rate near 0 means no chunks, near 1
    no compression: an H-Net-specific collapse that has nothing to do with LR. No published
    threshold; the band is the design's target within 2x. Info, not a warning: early routers
    swing, and a 100-step probe can end inside a transient. On the official 1-stage tiny model
    (proxy 128/160, target 6) every seed's rate fell to 0.04-0.07 by probe step 100 (band
    starts at 0.083) and came back to 0.2-0.29 by step 200-800 of the same training; the
    detection benchmark has no case where the rate truly stays off target, so the rule has no
    measured true positive yet.

    ## Example
    ```yaml
    routing: {target_ratio: [40.0], ratio_loss_weight: 0.0}
    ```

    ## Use instead
    A target the data supports (2-6 bytes per chunk for English) and a ratio-loss weight ~0.03.
    """


@_code("HNL811", "clipped-steps", Severity.INFO, "smoke", "exact")
def _clipped() -> None:
    """Fraction of optimizer steps whose pre-clip gradient norm exceeded ``grad_clip``.

    ## Why it matters
    Context only: early clipping is normal, and a single large pre-clip norm is not a
    "gradient explosion" (clipping bounded the update). Reported with max/median norms.

    ## Example
    ``training: {grad_clip: 1.0}`` with a median early norm of 1.6.

    ## Use instead
    Nothing to change unless other findings point at the LR.
    """


@_code("HNL812", "low-precision-parameter-storage", Severity.WARNING, "build", "exact")
def _low_precision() -> None:
    """Trainable parameters handed to the optimizer are stored in bf16 or fp16.

    ## Why it matters
    AdamW then keeps its moments in that dtype too and small updates round away (see HNL803).
    Mamba's README: "try a framework storing parameters in fp32 (such as AMP)".

    ## Example
    ``HNetForCausalLM(config, dtype=torch.bfloat16)`` with no autocast.

    ## Use instead
    fp32 parameters with ``torch.autocast(dtype=torch.bfloat16)``.
    """


@_code("HNL813", "dryrun-out-of-memory", Severity.ERROR, "build", "exact")
def _oom() -> None:
    """The model does not fit the device at the configured batch, or the model the dry-run
    would build does not fit this machine.

    ## Why it matters
    The job would die at its first step. The finding gives the estimate and the device memory;
    the dry-run falls back to the proxy for the remaining phases. Before building anything,
    the dry-run also compares the estimate for the model it is about to build (the proxy on
    CPU keeps the configured vocabulary and depth) with the memory the machine has
    (``MemAvailable`` on Linux, free memory on a GPU) and refuses above 90% of it: allocating
    it would end in an out-of-memory kill, with no report at all.

    ## Example
    A 2-stage XL at batch 8 x 8192 bytes on a 24 GiB card.

    ## Use instead
    Smaller micro-batch with more accumulation steps, or activation checkpointing.
    """


@_code("HNL814", "dryrun-summary", Severity.INFO, "probe", "heuristic")
def _summary() -> None:
    """What the dry-run measured: the probe plan, the LR-edge decision with its uncertainty, and scope.

    ## Why it matters
    A pass is bounded, and it is printed only when every planned check ran and the LR edge was
    decided "not past": *not grossly past the LR edge: over K seeds the configured peak LR
    trained no worse than 0.5x by more than the margin (gap mean +- se) in N steps held at
    peak on [model/proxy], and no numeric problem was found.* It does not say the LR is
    near-optimal, and loss spikes caused by particular data at particular weights cannot be
    ruled out (PaLM replayed its batches and the spikes did not recur).

    ## Example
    Always emitted at the end of a probe.

    ## Use instead
    Nothing; read the gap and its se.
    """


@_code("HNL815", "dryrun-inconclusive", Severity.WARNING, "smoke", "exact")
def _interrupted() -> None:
    """The dry-run stopped (``--time-budget`` or Ctrl-C) before its planned checks completed.

    ## Why it matters
    The plan (smoke steps, probe seeds and steps) follows from the config and the options; the
    time budget is only a safety stop. A check that did not run cannot vouch for anything, so
    a cut run is never a pass: this warning names what did not run, and the rules that compare
    runs (HNL807, HNL810) decide only on the 1x/0.5x pairs that finished.

    ## Example
    ``--time-budget 20`` on the 2-stage XL proxy.

    ## Use instead
    A larger ``--time-budget`` (or none), or fewer ``--probe-seeds`` / ``--steps``.
    """


@_code("HNL816", "lr-edge-inconclusive", Severity.INFO, "probe", "heuristic")
def _edge_inconclusive() -> None:
    """The probe could not tell whether the configured peak LR is past the knee, even after adding seeds.

    ## Why it matters
    The mean 1x-minus-0.5x gap's band (mean +- z*se over the seeds) still straddles HNL807's
    margin after the sequential plan added pairs up to its cap (``HNL807.max_seeds``, default
    9), or the run was cut before the cap. The measured difference is then within seed noise:
    a gap between 0 and the 0.05 margin takes ~35 seeds to place at sd 0.09. On the detection
    corpus 3 of 30 cases (10%) end here, all at the edge of their family (was 8, 27%, with 3
    fixed seeds). The dry-run does not print PASS in that case. When the attention logits are
    far above HNL808's level but the gap's own mean is below the margin, the message says so:
    they do not decide a verdict the gap contradicts. Info by default so that a gate does not
    fail on noise; ``--severity HNL816=warning`` makes a strict gate.

    ## Example
    A base LR a little above the best one for the model.

    ## Use instead
    A longer hold (``--steps``) or a higher cap (``--option HNL807.max_seeds=15``) narrows the
    band; or lower the LR by 2x and rerun: a config clearly below the knee passes.
    """


@_code("HNL817", "ranks-disagree", Severity.ERROR, "smoke", "exact")
def _ranks_disagree() -> None:
    """Replicated parameters, or the gradients a step uses, differ between ranks.

    ## Why it matters
    Data parallelism averages gradients on the assumption that every rank holds the same
    weights; when they differ, every rank trains a different model and the all-reduced
    gradient belongs to none of them. Typical causes: a rank seeded differently for init
    with DDP's ``init_sync=False`` or a hand-written all-reduce (plain DDP broadcasts rank 0's
    weights at construction and is immune at init), a step taken outside the gradient sync,
    or a rank whose optimizer differs. Compared bit for bit with a max/min all-reduce over
    every replicated parameter: when ``inspect`` is called, after its steps, and (the gradients)
    before every ``optimizer.step()``, which catches gradient accumulation under DDP's
    ``no_sync`` that never leaves it for the last micro-batch, and before every
    ``torch.nn.utils.clip_grad_norm_`` (torch >= 2.6), which catches clipping before the
    all-reduce: each rank then measures the norm of its own partial gradient and scales it by
    its own factor, so the clip is neither the configured one nor the same on every rank, and
    nothing diverges visibly (after DDP's average the ranks agree again). FSDP2 shards differ
    by design and are not compared. Under ``--dry-run --nproc`` every rank also runs one shared batch after
    the smoke, and the routers' boundary decisions must agree position by position.

    ## Example
    ```python
    torch.manual_seed(1000 + rank)            # per-rank seed before building the model
    model = DDP(build(), init_sync=False)
    ```

    Clipping inside the accumulation loop:

    ```python
    for micro in range(accum):
        with model.no_sync() if micro < accum - 1 else contextlib.nullcontext():
            (loss_fn(model, batch[micro]) / accum).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)   # before the all-reduce
    optimizer.step()
    ```

    ## Use instead
    The same seed on every rank for init (per-rank seeds only for data order and dropout),
    gradient sync on every parameter, and one ``clip_grad_norm_`` per optimizer step, after
    the last micro-batch's backward.
    """


@_code("HNL818", "ratio-loss-not-averaged", Severity.WARNING, "smoke", "exact",
       {"rel_tol": positive(1e-6)})
def _ratio_loss_per_rank() -> None:
    """The ratio loss a ``step_fn`` reports differs between ranks: it was never averaged.

    ## Why it matters
    H-Net's ratio loss is bilinear in the fraction of selected positions F and the mean
    boundary probability G of the batch. Computed per rank, it reflects one rank's shard, and
    the value rank 0 logs (and any schedule or early stop reading it) is not the run's. A value
    all-reduced across ranks is identical on every rank, which is what this checks. It runs
    only when ``step_fn`` returns ``{"ratio_loss": value}``; otherwise the summary says it did
    not run.

    ## Example
    ```python
    ratio = ratio_loss(router_out, N)          # this rank's shard only
    return {"ratio_loss": ratio.item()}
    ```

    ## Use instead
    ```python
    torch.distributed.all_reduce(ratio_for_log, op=ReduceOp.AVG)
    ```
    (or all-reduce F and G before forming the loss).
    """


@_code("HNL819", "distributed-summary", Severity.INFO, "build", "exact")
def _distributed_summary() -> None:
    """The distributed setup as the checks saw it: world size, engine, effective per-stage LR.

    ## Why it matters
    Some trainers multiply the LR by the world size (hierarchical-hnet's ``scripts/train.py``,
    see HNL310), so the LR a multi-GPU run trains at is not the one in the file. The summary
    states the world size, the engine (DDP, FSDP2, FSDP1 flat parameters), the trainer's
    world-size factor and the resulting peak LR per stage, and which distributed checks ran
    (rank agreement, ratio-loss averaging) or why they did not.

    ## Example
    ``hnet-lint run.json --dry-run --nproc 4`` on a hierarchical-hnet file with
    ``scale_lr_by_world_size: true``.

    ## Use instead
    Nothing; compare the stated per-stage LR with the one you meant.
    """


# -- watch: the user's own trainer, running (``hnet-lint watch``; see docs/watch.md) -----------

@_code("HNL820", "scheduler-steps-per-update", Severity.ERROR, "watch", "exact")
def _scheduler_steps() -> None:
    """The LR scheduler stepped k != 1 times between two optimizer steps.

    ## Why it matters
    A schedule is a function of the update count. A ``scheduler.step()`` placed outside the
    accumulation condition advances it once per micro-batch: with accumulation 4 the warmup
    ends 4x early and the run trains at up to 4x the intended LR (a LambdaLR warmup-cosine
    stepped per micro-batch was at 4.2x the intended LR at step 5 in a held-out user loop).
    Zero calls means the schedule never moves.

    ## Example
    ```python
    for i, batch in enumerate(loader):
        loss(batch).backward()
        scheduler.step()               # every micro-batch
        if (i + 1) % accum == 0:
            optimizer.step(); optimizer.zero_grad()
    ```

    ## Use instead
    ``scheduler.step()`` right after ``optimizer.step()``, inside the same condition. The
    finding names the file and line of the ``scheduler.step()`` call.
    """


@_code("HNL821", "trainer-crashed", Severity.ERROR, "watch", "exact")
def _trainer_crashed() -> None:
    """The watched trainer raised or was killed before the planned steps.

    ## Why it matters
    A crash at step 3 on one rank is a failed launch, not a pass. The finding names the rank,
    the last optimizer step it completed and its exception (or the signal that ended it).

    ## Example
    A rank that raises ``RuntimeError`` in its data loader after two steps.

    ## Use instead
    Fix the exception; ``hnet-lint watch`` reruns the same command.
    """


@_code("HNL822", "rank-stuck", Severity.ERROR, "watch", "exact")
def _rank_stuck() -> None:
    """A rank made no progress within the per-step deadline.

    ## Why it matters
    A rank that waits in a collective its peers never enter (one rank skipped a step, raised
    and caught its exception, or took another branch) hangs the job until the launcher's
    timeout, often 30 minutes or more, on every GPU. ``watch`` gives every step a deadline
    (``--step-timeout``), then stops the whole job and names the rank and the last step it
    completed.

    ## Example
    Rank 1 raises inside its loop and the exception is caught; rank 0 waits in DDP's all-reduce.

    ## Use instead
    Make every rank run the same collectives; let exceptions end the process.
    """


@_code("HNL823", "trainer-ended-early", Severity.WARNING, "watch", "exact")
def _ended_early() -> None:
    """The trainer exited normally before the planned number of optimizer steps.

    ## Why it matters
    Checks that need K steps did not all run; the report says how many did. A trainer that
    ends early on purpose (a tiny dataset, ``max_steps`` below K) is fine: lower ``--steps``.

    ## Example
    ``hnet-lint watch --steps 20 -- python train.py --max-steps 5``.

    ## Use instead
    ``--steps`` at most the run's length.
    """


@_code("HNL824", "lr-off-schedule", Severity.ERROR, "watch", "exact",
       {"rel_tol": positive(1e-6)})
def _lr_off_schedule() -> None:
    """A group's LR at an optimizer step is not what the config's schedule gives there.

    ## Why it matters
    The schedule in the config and the schedule the trainer runs are different code. The LR
    the optimizer really applied is compared, every step and group, with what ``hnet-lint
    schedule CONFIG`` computes (base LR x the trainer's world-size factor x the stage
    multiplier x the schedule), to a relative 1e-6.

    ## Example
    A warmup of 2000 steps in the config; the trainer's LambdaLR steps per micro-batch, so the
    observed LR at step 5 is 4x the scheduled one.

    ## Use instead
    Make the trainer's scheduler follow the config (or fix the config to say what runs).
    """


@_code("HNL825", "run-differs-from-config", Severity.ERROR, "watch", "exact")
def _run_differs() -> None:
    """The running trainer's accumulation, clipping threshold or world size is not the config's.

    ## Why it matters
    Each of these changes the effective batch, the update size or the LR a trainer derives from
    them; a config that says 4 micro-batches per update while the loop does 8 is a different
    run.

    ## Example
    ``grad_accum_steps: 4`` in the config; the loop steps the optimizer every 8 forward passes.

    ## Use instead
    Make the config and the launch agree; the finding names both values.
    """


@_code("HNL826", "watch-summary", Severity.INFO, "watch", "exact")
def _watch_summary() -> None:
    """What ``hnet-lint watch`` saw: ranks, optimizer steps, groups, and which checks ran.

    ## Why it matters
    A check that did not run is never reported as passed: the summary lists what was compared
    (schedule, accumulation, clipping, rank agreement) and what was not, and why.

    ## Example
    ``hnet-lint watch --steps 20 -- torchrun --nproc-per-node 2 train.py``.

    ## Use instead
    Nothing; read it.
    """


@_code("HNL827", "watch-saw-nothing", Severity.ERROR, "watch", "exact")
def _watch_saw_nothing() -> None:
    """The command ran, but no optimizer step was observed in any process.

    ## Why it matters
    Nothing was checked, which must never read as a pass. Causes: the trainer's interpreter
    cannot import hnet_lint (install it in the trainer's environment), the command runs no
    PyTorch optimizer, or it exited before the first step.

    ## Example
    ``hnet-lint watch -- bash -c 'echo hi'``.

    ## Use instead
    Run the training command itself; install hnet-lint where the trainer's Python finds it.
    """


def locate_span(run: Any, path: tuple[Hashable, ...]) -> tuple[Span, tuple[Hashable, ...]]:
    """Span and in-file key path of canonical ``path``; the file start when it cannot be found."""
    try:
        where = run.sources.locate(path)
        return where.span, tuple(where.path)
    except (KeyError, AttributeError, IndexError, TypeError):
        return Span.start_of(run.doc.path if run is not None else "<inspect>"), tuple(path)


def finding(
    run: Any,
    code: str,
    path: tuple[Hashable, ...],
    message: str,
    *,
    data: dict[str, Any] | None = None,
    severity: Severity | None = None,
    phase: str | None = None,
    file: str | None = None,
    site: str | None = None,
) -> Diagnostic:
    """A dry-run :class:`Diagnostic` anchored at the config key most responsible (``path``).

    ``site`` (``"train.py:42"``) is where the user's own code did it (``watch`` and ``inspect``
    see the call site): the anchor when there is no config, named in ``data["site"]`` always.
    """
    meta = DRYRUN_CODES[code]
    if run is not None:
        span, where = locate_span(run, path)
    elif site:
        name, _, line = site.rpartition(":")
        n = int(line) if line.isdigit() else 1
        span, where = Span(name or site, n, 1, n, 1), tuple(path)
    else:
        span, where = Span.start_of(file or "<inspect>"), tuple(path)
    if site:
        data = dict(data or {}, site=site)
        if run is not None:  # anchored at the config key; the user's line is named too
            message = f"{message} [at {site}]"
    return Diagnostic(
        span=span, code=code, severity=severity if severity is not None else meta.severity,
        message=message, name=meta.name, path=where, phase=phase or meta.phase,
        evidence=meta.evidence, data=data,
    )
