"""Phase 3, peak-LR probe: is the configured peak LR past the knee? (docs/evidence.md §5, §6)

A 20-step prefix of a 2000-step warmup sees 1% of peak, so the probe uses its own schedule:
linear warmup to the configured peak over W = max(40, 10% of the probe) steps (>= 2/(1-beta2)
so Adam's v has settled; shortened to half the probe when --steps is small, and said so), then
hold. Each *pair* runs the configured LR (1x) and a 0.5x control from the *same* init on the
*same* batches, so their difference is the LR's alone; the pair is repeated over several seeds
(init and data order), because one pair's gap is within seed noise near the edge
(docs/evidence.md §9). The plan (seeds x steps) follows from the options alone, never from the
clock: the same config gets the same verdict on any machine up to floating-point noise.
:mod:`.decide` turns the per-seed gaps into past / not past / inconclusive.

Measured per step and stage: loss, pre-clip grad norm, boundary rate vs 1/N, output log Z,
RMS(g^2/v_hat) per tensor; every ``measure_every`` steps: max attention logit per attention
layer (on a 128-position subsample), Mamba dt / A / exp(dt*A) ranges, update/weight RMS per
optimizer group. Grad-norm statistics are context only: in the audit the grad-norm median,
the clipped fraction and g^2/v_hat were *inverted* predictors (AUROC 0.03-0.13), so no rule
reads them.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import torch
import torch.nn.functional as F

from ..diagnostics import Diagnostic, Severity
from ..model.attention import CausalMHA
from ..model.mamba2 import Mamba2
from .build import DryRunOptions, TrainSetup, TrainSpec, build_setup
from .codes import DRYRUN_CODES, finding
from .data import ByteCorpus
from .distributed import ranks_where
from .decide import INCONCLUSIVE, PAST, EdgeDecision, ProbePlan, decide_edge, keep_going, pair_gap, tail_mean
from .decide import probe_warmup  # noqa: F401 - re-exported
from ..observe.monitor import stage_of_name
from .train import StepStats, train_step

__all__ = ["ProbeRun", "ProbeResult", "run_probe", "probe_warmup", "judge"]

SUBSAMPLE = 128  # positions used for the attention-logit measurement


@dataclass
class ProbeRun:
    """One (seed, LR multiple) run's curves."""

    multiple: float
    steps: list[StepStats] = field(default_factory=list)
    attn_logits: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # layer -> (step, max)
    mamba: dict[int, list[dict]] = field(default_factory=dict)  # stage -> ranges per measured step
    g2v: list[dict[str, float]] = field(default_factory=list)  # per step: tensor -> RMS(g^2/v_hat)
    update_ratio: list[dict] = field(default_factory=list)  # per measured step: group -> RMS(dW)/RMS(W)
    nonfinite: Optional[dict] = None
    seed: int = 0
    planned: int = 0  # steps the plan asked for

    @property
    def complete(self) -> bool:
        """Every planned step ran (a non-finite stop is not complete)."""
        return self.nonfinite is None and len(self.steps) >= self.planned

    def losses(self) -> list[float]:
        return [s.loss for s in self.steps]

    def end_attn_logit(self) -> Optional[float]:
        """Max over attention layers of the last measured max logit (None without attention)."""
        ends = [series[-1][1] for series in self.attn_logits.values() if series]
        return max(ends) if ends else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "multiple": self.multiple, "seed": self.seed, "planned_steps": self.planned,
            "complete": self.complete, "loss": self.losses(),
            "grad_norm": [s.grad_norm for s in self.steps],
            "stage_grad_norms": [s.stage_grad_norms for s in self.steps],
            "boundary_rates": [s.boundary_rates for s in self.steps],
            "logz_mean": [s.logz_mean for s in self.steps], "logz_max": [s.logz_max for s in self.steps],
            "lr_factor": [s.lr_factor for s in self.steps],
            "attn_max_logit": self.attn_logits, "mamba": self.mamba,
            "g2v_max": [max(d.values(), default=0.0) for d in self.g2v],
            "update_ratio": self.update_ratio, "nonfinite": self.nonfinite,
        }


def _run_from_dict(d: dict[str, Any]) -> ProbeRun:
    """A :class:`ProbeRun` back from :meth:`ProbeRun.to_dict` (curves only)."""
    n = len(d.get("loss", []))

    def col(key: str, default: Any) -> list:
        return d.get(key) or [default] * n

    steps = [StepStats(step=i, lr_factor=f, loss=loss, ratio_loss=0.0, grad_norm=g, stage_grad_norms=sg,
                       clipped=False, boundary_rates=br, logz_mean=lm, logz_max=lx)
             for i, (f, loss, g, sg, br, lm, lx) in enumerate(zip(
                 col("lr_factor", 0.0), d.get("loss", []), col("grad_norm", 0.0), col("stage_grad_norms", []),
                 col("boundary_rates", []), col("logz_mean", 0.0), col("logz_max", 0.0)))]
    return ProbeRun(multiple=d["multiple"], steps=steps, attn_logits=d.get("attn_max_logit") or {},
                    mamba=d.get("mamba") or {}, update_ratio=d.get("update_ratio") or [],
                    nonfinite=d.get("nonfinite"), seed=d.get("seed", 0), planned=d.get("planned_steps", n))


@dataclass
class ProbeResult:
    runs: list[ProbeRun] = field(default_factory=list)
    warmup: int = 0
    steps_run: int = 0  # steps at 1x in the first seed's run
    findings: list[Diagnostic] = field(default_factory=list)
    margin: Optional[str] = None
    interrupted: bool = False
    plan: Optional[ProbePlan] = None
    decision: Optional[EdgeDecision] = None

    def by_multiple(self, m: float, seed: Optional[int] = None) -> Optional[ProbeRun]:
        """The run at multiple ``m`` of ``seed`` (default: the first seed that has one)."""
        return next((r for r in self.runs if r.multiple == m and (seed is None or r.seed == seed)), None)

    def pairs(self) -> list[tuple[ProbeRun, Optional[ProbeRun]]]:
        """(1x, 0.5x) per seed, in plan order; the control is None when it did not start."""
        return [(r, self.by_multiple(0.5, r.seed)) for r in self.runs if r.multiple == 1.0]

    def complete_pairs(self) -> list[tuple[ProbeRun, ProbeRun]]:
        return [(a, b) for a, b in self.pairs() if b is not None and a.complete and b.complete]

    @property
    def pairs_planned(self) -> int:
        """The fixed pairs plus every pair the sequential plan added (started)."""
        return max(len(self.plan.seeds), len(self.pairs())) if self.plan else len(self.pairs())

    def planned_runs(self) -> list[tuple[int, float]]:
        """The fixed runs plus the pairs of every added seed that started, in plan order."""
        if self.plan is None:
            return []
        started = {r.seed for r in self.runs}
        return self.plan.runs + [r for s in self.plan.extra_seeds if s in started for r in self.plan.pair_runs(s)]

    def not_run(self) -> list[str]:
        """What the plan asked for and did not finish, in words."""
        done = {(r.seed, r.multiple) for r in self.runs if r.complete or r.nonfinite}
        return [f"seed {s} at {m:g}x" for s, m in self.planned_runs() if (s, m) not in done]

    def to_dict(self) -> dict[str, Any]:
        d = self.decision
        return {"warmup": self.warmup, "steps_run": self.steps_run, "margin": self.margin,
                "interrupted": self.interrupted,
                "plan": dataclasses.asdict(self.plan) if self.plan else None,
                "decision": ({"outcome": d.outcome, "gaps": d.gaps, "mean": d.mean, "se": d.se,
                              "lower": d.lower, "upper": d.upper, "margin": d.margin, "z": d.z,
                              "by_attention": d.by_attention, "attn_median": d.attn_median,
                              "attn_level": d.attn_level, "final": d.final, "first": d.first, "cap": d.cap,
                              "error": d.error}
                             if d else None),
                "not_run": self.not_run(),
                "runs": [r.to_dict() for r in self.runs]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ProbeResult":
        """What :meth:`to_dict` wrote (the distributed worker's result): enough for the verdict,
        the reports and the curves; findings travel separately, with the dry-run's."""
        plan, dec = d.get("plan"), d.get("decision")
        return cls(runs=[_run_from_dict(r) for r in d.get("runs", [])], warmup=d.get("warmup", 0),
                   steps_run=d.get("steps_run", 0), margin=d.get("margin"),
                   interrupted=bool(d.get("interrupted")),
                   plan=ProbePlan(steps=plan["steps"], warmup=plan["warmup"], seeds=tuple(plan["seeds"]),
                                  multiples=tuple(plan["multiples"]), max_seeds=plan.get("max_seeds", 0))
                   if plan else None,
                   decision=EdgeDecision(**dec) if dec else None)


class _Instruments:
    """Hooks that measure attention logits and Mamba ranges on the steps we ask them to."""

    def __init__(self, setup: TrainSetup, record: ProbeRun, full: bool = True) -> None:
        self.setup, self.record = setup, record
        self.full = full  # g^2/v_hat, update sizes and Mamba ranges: the first seed's 1x run only
        self.step = 0
        self.active = False
        self.handles = []
        S = setup.spec.num_stages
        for name, m in setup.model.named_modules():
            if isinstance(m, CausalMHA):
                self.handles.append(m.register_forward_pre_hook(self._attn_hook(name)))
            elif isinstance(m, Mamba2) and full:
                self.handles.append(m.in_proj.register_forward_hook(self._mamba_hook(m, stage_of_name(name, S))))
        self._snap: dict[int, torch.Tensor] = {}

    def close(self) -> None:
        for h in self.handles:
            h.remove()

    def _attn_hook(self, name: str):
        def fn(mod: CausalMHA, args):
            if not self.active:
                return
            x, seq = args[0], args[1]
            with torch.no_grad():
                n = min(SUBSAMPLE, x.shape[1])
                xs = x[:1, :n].float()  # (1, n, D) subsample
                qkv = F.linear(xs, mod.Wqkv.weight.float()).reshape(1, n, 3, mod.num_heads, mod.head_dim)
                q, k = qkv[:, :, 0], qkv[:, :, 1]  # (1, n, H, Dh)
                if mod.rotary_emb_dim > 0:
                    pos = seq.positions()[:1, :n]
                    q, k = mod.rotary_emb(q, pos), mod.rotary_emb(k, pos)
                scale = mod.softmax_scale or mod.head_dim ** -0.5
                logits = torch.einsum("bqhd,bkhd->bhqk", q, k) * scale  # (1, H, n, n)
                seg = seq.segment[:1, :n]
                allowed = torch.tril(torch.ones(n, n, dtype=torch.bool, device=x.device))
                allowed = allowed & (seg[0][:, None] == seg[0][None, :])
                mx = float(logits.abs().masked_fill(~allowed, 0).amax())
            self.record.attn_logits.setdefault(name, []).append((self.step, mx))
        return fn

    def _mamba_hook(self, mod: Mamba2, stage: int):
        def fn(lin, args, out):
            if not self.active:
                return
            with torch.no_grad():
                dt = out[0, :SUBSAMPLE, -mod.nheads:].float()  # (n, H) raw dt
                delta = F.softplus(dt + mod.dt_bias.float())  # (n, H)
                A = -torch.exp(mod.A_log.float())  # (H,)
                decay = torch.exp(delta * A)  # (n, H) per-step state decay
                rec = {"step": self.step, "dt_min": float(delta.min()), "dt_med": float(delta.median()),
                       "dt_max": float(delta.max()), "A_min": float(A.min()), "A_max": float(A.max()),
                       "decay_min": float(decay.min()), "decay_max": float(decay.max())}
            self.record.mamba.setdefault(stage, []).append(rec)
        return fn

    # train_step callbacks
    def measure(self, batch, out, logits) -> None:
        if batch is not None:
            self.active = False  # measure one micro-batch only
            return
        self._post_step()

    def before_step(self) -> None:
        if self.step_is_measured and self.full:
            self._snap = {id(p): p.detach().clone() for g in self.setup.optimizer.param_groups for p in g["params"]}

    def _post_step(self) -> None:
        if not self.full:
            return
        opt = self.setup.optimizer
        g2v: dict[str, float] = {}
        names = {id(p): n for n, p in self.setup.model.named_parameters()}
        for g in opt.param_groups:
            beta2, eps = g["betas"][1], g["eps"]
            for p in g["params"]:
                st = opt.state.get(p)
                if not st or p.grad is None or p.dim() < 2 or "embeddings" in names.get(id(p), ""):
                    continue  # 2-D weights only: sparse embedding rows make g^2/v meaningless
                t = float(st["step"])
                vhat = st["exp_avg_sq"].float() / (1 - beta2 ** t)
                r = (p.grad.float() ** 2 / vhat.clamp(min=eps * eps)).mean().sqrt()
                g2v[names.get(id(p), "?")] = float(r)
        self.record.g2v.append(g2v)
        if self._snap:
            ratios = {}
            for i, g in enumerate(opt.param_groups):
                dw = w = 0.0
                for p in g["params"]:
                    old = self._snap.get(id(p))
                    if old is not None:
                        dw += float((p.detach().float() - old.float()).pow(2).sum())
                        w += float(old.float().pow(2).sum())
                ratios[str(i)] = math.sqrt(dw / w) if w > 0 else 0.0
            self.record.update_ratio.append({"step": self.step, "ratios": ratios})
            self._snap = {}

    step_is_measured: bool = False


def _probe_one(spec: TrainSpec, opts: DryRunOptions, setup: TrainSetup, corpus: ByteCorpus, seed: int,
               multiple: float, steps: int, warm: int, deadline: Optional[float],
               log: Callable[[str], None], first: bool = True) -> tuple[ProbeRun, bool]:
    rec = ProbeRun(multiple, seed=seed, planned=steps)
    inst = _Instruments(setup, rec, full=first and multiple == 1.0)
    stopped = False
    rank, world = getattr(setup, "data_rank", 0), getattr(setup, "data_world", 1)
    try:
        for t in range(steps):
            late = deadline is not None and time.monotonic() > deadline
            if ranks_where(late, rank, world, setup.device):  # under --nproc all ranks stop together
                stopped = True
                break
            inst.step = t
            inst.step_is_measured = t % opts.measure_every == 0 or t == steps - 1
            inst.active = inst.step_is_measured
            factor = min(1.0, (t + 1) / warm)
            st = train_step(setup, corpus, t, factor, seed=seed, lr_scale=multiple,
                            accum=opts.probe_accum, measure=inst.measure, before_step=inst.before_step)
            rec.steps.append(st)
            if st.nonfinite:
                rec.nonfinite = {"step": t, **st.nonfinite}
                break
            if log and (t + 1) % max(1, steps // 4) == 0:
                log(f"probe seed {seed} {multiple:g}x step {t + 1}/{steps}: loss {st.loss:.4f}")
    except KeyboardInterrupt:
        stopped = True
    finally:
        inst.close()
    return rec, stopped


def _opt(options: dict, code: str, key: str) -> Any:
    return options.get(code, {}).get(key, DRYRUN_CODES[code].options[key])


def _tail(values: list[float], frac: float) -> list[float]:
    k = max(2, int(round(len(values) * frac)))
    return values[-k:]


def run_probe(spec: TrainSpec, opts: DryRunOptions, run: Any, corpus: ByteCorpus, plan: ProbePlan,
              deadline: Optional[float], log: Callable[[str], None], base: TrainSetup,
              prepare: Optional[Callable[[TrainSetup], None]] = None) -> ProbeResult:
    """Run the plan's pairs (seed by seed, 1x then 0.5x; a 2x margin run for the first seed), then,
    while the LR edge is undecided, one added seed pair at a time up to the plan's cap
    (:func:`.decide.keep_going`: the gaps decide, never the clock), and judge them.

    ``prepare(setup)`` runs on each freshly built setup before it trains (under ``--nproc``: this
    rank's data shard and the DDP/FSDP2 wrapping; the losses are all-reduced, so every rank sees
    the same gaps and adds the same pairs)."""
    res = ProbeResult(warmup=plan.warmup, plan=plan)
    if plan.warmup < 40:
        log(f"probe warmup shortened to {plan.warmup} steps (probe of {plan.steps} steps); "
            "Adam's v needs ~40 at beta2=0.95")
    log(f"probe plan: {plan.describe()}")

    def run_all(runs: list[tuple[int, float]]) -> bool:
        """Run these (seed, multiple) runs in order; False when the clock or an interrupt stopped one."""
        for seed, m in runs:
            seeded = dataclasses.replace(spec, seed=seed)  # the init follows the seed, as the data order does
            setup = build_setup(seeded, opts, lr_scale=m, device=base.device, scale=base.scale)
            if prepare is not None:
                prepare(setup)
            rec, stopped = _probe_one(seeded, opts, setup, corpus, seed, m, plan.steps, plan.warmup, deadline,
                                      log, first=seed == plan.seeds[0])
            res.runs.append(rec)
            if stopped:
                res.interrupted = True
                return False
        return True

    if run_all(plan.runs):
        for seed in plan.extra_seeds:
            if any(r.nonfinite for r in res.runs):
                break  # HNL802 reports it; another seed cannot change that
            dec = edge_decision(res, opts.options, final=False)
            if not keep_going(dec, len(res.pairs()), plan):
                break
            log(f"LR edge undecided after {dec.n} seeds (gap {dec.mean:+.3f} +- {dec.se:.3f}, band "
                f"[{dec.lower:+.3f}, {dec.upper:+.3f}] vs margin {dec.margin:g}): adding seed {seed} "
                f"(cap {plan.cap})")
            if not run_all(plan.pair_runs(seed)):
                break
    one = res.by_multiple(1.0)
    res.steps_run = len(one.steps) if one else 0
    res.findings = judge(res, spec, run, opts.options)
    return res


def _anchor_stage(spec: TrainSpec) -> int:
    return max(range(len(spec.multipliers)), key=lambda s: spec.multipliers[s])


def _lr_key(spec: TrainSpec) -> tuple:
    s_max = _anchor_stage(spec)
    return ("optimizer", "lr_multiplier", s_max) if len(spec.multipliers) > 1 else ("optimizer", "lr")


def edge_decision(res: ProbeResult, options: dict, final: Optional[bool] = None) -> EdgeDecision:
    """The LR-edge decision from the complete pairs (HNL807's options, HNL808's logit level).

    ``final`` None: the last look when the plan ran to its cap without being stopped (only then
    may the attention logits break a tie)."""
    frac = _opt(options, "HNL807", "tail_fraction")
    pairs = res.complete_pairs()
    gaps = [pair_gap(a.losses(), b.losses(), frac) for a, b in pairs]
    attn = [v for v in (a.end_attn_logit() for a, _ in pairs) if v is not None]
    plan = res.plan
    cap = plan.cap if plan else len(pairs)
    if final is None:
        final = not res.interrupted and len(pairs) >= cap
    dec = decide_edge(gaps, margin=_opt(options, "HNL807", "margin_nats"),
                      fail_margin=_opt(options, "HNL807", "fail_margin_nats"), z=_opt(options, "HNL807", "z"),
                      prior_sd=_opt(options, "HNL807", "prior_sd"), attn_levels=attn,
                      max_logit=_opt(options, "HNL808", "max_logit") if _opt(options, "HNL807", "attention_evidence")
                      else None, attention_factor=_opt(options, "HNL807", "attention_factor"), final=final,
                      fail_z=_opt(options, "HNL807", "fail_z"))
    dec.first, dec.cap = (len(plan.seeds) if plan else len(pairs)), cap
    return dec


def _edge_findings(res: ProbeResult, spec: TrainSpec, run: Any, options: dict) -> list[Diagnostic]:
    dec = res.decision
    s_max = _anchor_stage(spec)
    peak = spec.lr * spec.multipliers[s_max]
    level = _opt(options, "HNL808", "max_logit")
    attn = (f"; max attention logit at the end of the 1x runs: median {dec.attn_median:.0f} over seeds "
            f"(HNL808 level {level:g})" if dec.attn_median is not None and not dec.by_attention else "")
    data = {"outcome": dec.outcome, "measured": dec.mean, "se": dec.se, "seeds": dec.n, "gaps": dec.gaps,
            "lower": dec.lower, "upper": dec.upper, "threshold": dec.margin,
            "fail_threshold": _opt(options, "HNL807", "fail_margin_nats"), "z": dec.z,
            "attn_median": dec.attn_median, "attn_level": dec.attn_level, "by_attention": dec.by_attention,
            "stage": s_max, "lr": peak, "step": res.plan.steps if res.plan else None,
            "pairs_planned": res.pairs_planned, "seeds_first": dec.first, "seeds_cap": dec.cap}
    cut = (f"; {res.pairs_planned - dec.n} of {res.pairs_planned} planned pairs did not finish"
           if dec.n < res.pairs_planned else "")
    if dec.outcome == PAST:
        why = (f"the gap alone is inconclusive (its band reaches below 0); its mean is above the margin and "
               f"the median max attention logit over seeds, {dec.attn_median:.0f}, is at least "
               f"{dec.attn_level:g} ({_opt(options, 'HNL807', 'attention_factor'):g} x HNL808's level {level:g}), "
               "which decided it"
               if dec.by_attention else "the 1x runs are reliably worse than their controls")
        fail_z, fail = _opt(options, "HNL807", "fail_z"), _opt(options, "HNL807", "fail_margin_nats")
        if dec.error:
            why += f"; error: mean - {fail_z:g} se = {dec.mean - fail_z * dec.se:+.3f} clears the fail margin {fail:g}"
        return [finding(run, "HNL807", _lr_key(spec), phase="probe",
                        severity=Severity.ERROR if dec.error else None,
                        message=(f"past the knee: at the configured peak LR (stage {s_max}: {peak:.3g}) the probe's "
                                 f"tail loss is worse than at 0.5x by {dec.mean:+.3f} +- {dec.se:.3f} nats (mean +- "
                                 f"se over {dec.seeds_text()}{cut}, same init and batches per seed; "
                                 f"{dec.z:g}-se band [{dec.lower:+.3f}, {dec.upper:+.3f}], margin {dec.margin:g}): "
                                 f"{why}{attn}. Lower the base LR or this stage's multiplier"),
                        data=data)]
    if dec.outcome == INCONCLUSIVE:
        what = (f"1x minus 0.5x tail loss {dec.mean:+.3f} +- {dec.se:.3f} nats over {dec.seeds_text()}{cut}, "
                f"{dec.z:g}-se band [{dec.lower:+.3f}, {dec.upper:+.3f}] straddles the margin {dec.margin:g}"
                if dec.mean is not None else f"no complete 1x/0.5x pair{cut}")
        tie = ""
        if (dec.attn_median is not None and dec.attn_level is not None and dec.attn_median >= dec.attn_level
                and dec.mean is not None and dec.mean <= dec.margin):
            tie = (f"; the attention logits (median {dec.attn_median:.0f} >= {dec.attn_level:g}) point to past, "
                   "but the gap's own mean is below the margin, so they do not decide")
        capped = dec.cap is not None and dec.n >= dec.cap
        how = ("A gap this close to the margin is within what the probe resolves at this cap: a longer hold "
               "(--steps) or a higher cap (--option HNL807.max_seeds=N) narrows it, or lower the LR by 2x "
               "and rerun" if capped else
               "More seeds (--probe-seeds, or the cap --option HNL807.max_seeds=N) or a longer hold (--steps) "
               "narrow it")
        return [finding(run, "HNL816", _lr_key(spec), phase="probe",
                        message=(f"LR edge not decided at stage {s_max}'s peak LR {peak:.3g}: {what}{attn}{tie}. "
                                 f"{how}"),
                        data=data)]
    return []


def judge(res: ProbeResult, spec: TrainSpec, run: Any, options: dict) -> list[Diagnostic]:
    """All probe findings from the runs in ``res`` (only complete pairs are compared)."""
    out: list[Diagnostic] = []
    s_max = _anchor_stage(spec)
    lr_key = _lr_key(spec)
    peak = spec.lr * spec.multipliers[s_max]
    frac = _opt(options, "HNL807", "tail_fraction")
    ones = [r for r in res.runs if r.multiple == 1.0]
    if not ones or len(ones[0].steps) < 4:
        res.decision = decide_edge([])
        return out
    one = ones[0]
    two = res.by_multiple(2.0)
    bad = next((r for r in ones if r.nonfinite), None)
    if bad is not None:
        half = res.by_multiple(0.5, bad.seed)
        ctrl = "also" if half is not None and half.nonfinite else "not"
        out.append(finding(run, "HNL802", lr_key, phase="probe",
                           message=(f"probe at the configured peak LR went non-finite at step {bad.nonfinite['step']}"
                                    f" (seed {bad.seed}, module {bad.nonfinite.get('module') or 'unknown'}); the "
                                    f"0.5x control {ctrl} did"),
                           data={"step": bad.nonfinite["step"], "stage": s_max, "lr": peak, "seed": bad.seed}))
        res.decision = decide_edge([])
    else:
        res.decision = edge_decision(res, options)
        out += _edge_findings(res, spec, run, options)
    if two is not None and one.steps:
        l1 = statistics.fmean(_tail(one.losses(), frac))
        if two.nonfinite:
            res.margin = f"2x LR went non-finite at step {two.nonfinite['step']}: margin < 2x"
        elif two.complete and one.complete:
            l2 = statistics.fmean(_tail(two.losses(), frac))
            ok = l2 <= l1 + _opt(options, "HNL807", "margin_nats")
            res.margin = (f"2x LR still trains (seed {two.seed} tail loss {l2:.3f} vs {l1:.3f} at 1x)" if ok else
                          f"2x LR trains worse (seed {two.seed} tail loss {l2:.3f} vs {l1:.3f} at 1x): margin < 2x")
    out += _attention_findings(res, spec, run, options)
    out += _stale_v_findings(res, one, spec, run, options)
    out += _boundary_findings(res, spec, run, options)
    out.append(_summary(res, one, spec, run, options, out))
    return out


def attention_trend(r: ProbeRun, options: dict) -> tuple[bool, Optional[str], list[tuple[int, float]]]:
    """(above HNL808's level and still rising over the probe's tail, layer, its series) for one run:
    the first attention layer whose last measured max logit passes ``max_logit`` and is higher
    than at the start of the last ``tail_fraction`` of the probe."""
    max_logit, afrac = _opt(options, "HNL808", "max_logit"), _opt(options, "HNL808", "tail_fraction")
    n = len(r.steps)
    for layer, series in r.attn_logits.items():
        tail = [v for t, v in series if t >= n * (1 - afrac)]
        if tail and tail[-1] > max_logit and len(tail) >= 2 and tail[-1] > tail[0]:
            return True, layer, series
    return False, None, []


def _attention_findings(res: ProbeResult, spec: TrainSpec, run: Any, options: dict) -> list[Diagnostic]:
    """The seed median of the max attention logit at the end of the complete 1x runs is above the
    level, whether or not it is still rising (the trend is reported, not required: logits in the
    hundreds or thousands that have stopped growing are near one-hot attention all the same)."""
    max_logit, afrac = _opt(options, "HNL808", "max_logit"), _opt(options, "HNL808", "tail_fraction")
    ones = [r for r in res.runs if r.multiple == 1.0 and r.complete and r.end_attn_logit() is not None]
    if not ones:
        return []
    ends = [r.end_attn_logit() for r in ones]
    med = statistics.median(ends)
    if not med > max_logit:
        return []
    rising = sum(attention_trend(r, options)[0] for r in ones)
    top = min(ones, key=lambda r: abs(r.end_attn_logit() - med))  # the seed nearest the median
    layer, series = max(((name, sr) for name, sr in top.attn_logits.items() if sr), key=lambda kv: kv[1][-1][1])
    st = stage_of_name(layer, spec.num_stages)
    trend = (f"still rising over the last {afrac:.0%} of the probe in {rising} of {len(ones)} seeds" if rising
             else f"no longer rising over the last {afrac:.0%} of the probe in any seed (already saturated)")
    return [finding(run, "HNL808", ("optimizer", "lr_multiplier", st),
                    message=(f"max attention logit at the end of the probe is above {max_logit:g}: median "
                             f"{med:.0f} over {len(ones)} seeds (per seed {', '.join(f'{v:.0f}' for v in ends)}; "
                             f"seed {top.seed}: {layer} at {series[-1][1]:.1f}), {trend}. Attention this sharp is "
                             "near one-hot whether or not it still grows; lower this stage's multiplier or add "
                             "qk-norm"),
                    data={"measured": med, "threshold": max_logit, "step": series[-1][0], "stage": st,
                          "layer": layer, "per_seed": ends, "rising": rising, "seeds": len(ones),
                          "of": len(ones)})]


def _stale_v_findings(res: ProbeResult, one: ProbeRun, spec: TrainSpec, run: Any, options: dict) -> list[Diagnostic]:
    """Stale second moment after warmup (per tensor, consecutive steps), first seed's 1x run."""
    out = []
    lim, need = _opt(options, "HNL809", "max_rms"), _opt(options, "HNL809", "consecutive")
    streak: dict[str, int] = {}
    flagged: set[str] = set()
    for t, d in enumerate(one.g2v):
        if t < res.warmup:
            continue
        for name, v in d.items():
            streak[name] = streak.get(name, 0) + 1 if v > lim else 0
            if streak[name] >= need and name not in flagged and len(flagged) < 3:
                flagged.add(name)
                st = stage_of_name(name, spec.num_stages)
                out.append(finding(run, "HNL809", ("optimizer", "lr_multiplier", st),
                                   message=(f"RMS(g^2/v_hat) of {name} above {lim:g} for {need} consecutive steps "
                                            f"after warmup (step {t}, value {v:.2f}): Adam's second moment lags"),
                                   data={"measured": v, "threshold": lim, "step": t, "stage": st, "tensor": name}))
    return out


def _boundary_side(r: ProbeRun, s: int, N: float, lo: float, hi: float) -> tuple[Optional[str], float, list[float]]:
    rates = [st.boundary_rates[s] for st in r.steps]
    end = statistics.fmean(_tail(rates, 0.25))
    q = max(1, len(rates) // 4)
    quarters = [statistics.fmean(rates[i * q:(i + 1) * q]) for i in range(4) if rates[i * q:(i + 1) * q]]
    side = "low" if end < lo / N else "high" if end > hi / N else None
    if side is None and all(b < a for a, b in zip(quarters, quarters[1:])) and end < 0.05:
        side = "low"  # monotone drift toward 0: no chunks
    if side is None and all(b > a for a, b in zip(quarters, quarters[1:])) and end > 0.95:
        side = "high"  # monotone drift toward 1: no compression
    return side, end, quarters


def _boundary_findings(res: ProbeResult, spec: TrainSpec, run: Any, options: dict) -> list[Diagnostic]:
    """Router boundary rate vs 1/N. Early routers swing widely (0.02-0.9 within 60 steps on the tiny
    model), so a seed counts only when its 1x run *and* its 0.5x control leave the band on the same
    side, and a finding needs that in a majority of the complete pairs."""
    out = []
    lo, hi = _opt(options, "HNL810", "low"), _opt(options, "HNL810", "high")
    pairs = res.complete_pairs()
    if not pairs:
        return out
    for s, N in enumerate(spec.target_ratios[: spec.num_stages]):
        agreeing = []
        for a, b in pairs:
            va, vb = _boundary_side(a, s, N, lo, hi), _boundary_side(b, s, N, lo, hi)
            if va[0] is not None and va[0] == vb[0]:
                agreeing.append((a.seed, va, vb))
        sides = {v[1][0] for v in agreeing}
        if 2 * len(agreeing) <= len(pairs) or len(sides) != 1:
            continue
        seed, (side, end, quarters), ctrl = agreeing[0]
        out.append(finding(run, "HNL810", ("routing", "target_ratio", s),
                           message=(f"stage {s} router selects {end:.3f} of positions as boundaries over the last "
                                    f"25% of the probe (seed {seed}; target 1/N = {1 / N:.3f}, band "
                                    f"[{lo / N:.3f}, {hi / N:.3f}]; quarter means "
                                    f"{', '.join(f'{x:.3f}' for x in quarters)}; the 0.5x control ends at "
                                    f"{ctrl[1]:.3f}); {len(agreeing)} of {len(pairs)} seeds agree"),
                           data={"measured": end, "threshold": [lo / N, hi / N], "step": len(pairs[0][0].steps),
                                 "stage": s, "side": side, "quarters": quarters, "control": ctrl[1],
                                 "seeds": len(agreeing), "of": len(pairs)}))
    return out


def _summary(res: ProbeResult, one: ProbeRun, spec: TrainSpec, run: Any, options: dict,
             found: list[Diagnostic]) -> Diagnostic:
    """HNL814: what the probe ran and measured; the runner prefixes PASS only when it is one."""
    frac = _opt(options, "HNL807", "tail_fraction")
    norms = [s.grad_norm for s in one.steps if math.isfinite(s.grad_norm)]
    clipped = sum(s.clipped for s in one.steps) / max(1, len(one.steps))
    ctx = (f"pre-clip grad norm median {statistics.median(norms):.3g}, max {max(norms):.3g}, "
           f"{clipped:.0%} of steps clipped (context only)") if norms else ""
    pairs = res.complete_pairs()
    plan = res.plan.describe() if res.plan else f"{len(one.steps)} steps"
    dec = res.decision
    summary = (f"probe: {plan}; {len(pairs)} of {res.pairs_planned} pairs complete; "
               f"{dec.summary() if dec else 'LR edge not decided'}; {res.margin or 'no margin run'}; {ctx}")
    warns = [f for f in found if f.severity >= Severity.WARNING]
    return finding(run, "HNL814", ("optimizer", "lr"), message=summary,
                   data={"steps": len(one.steps), "warmup": res.warmup, "peak_lrs": spec.peak_lrs(),
                         "seeds": len(pairs), "pairs_planned": res.pairs_planned,
                         "outcome": dec.outcome if dec else None,
                         "tail_loss": {f"{r.seed}:{r.multiple:g}": (tail_mean(r.losses(), frac)
                                                                    if r.steps and not r.nonfinite else None)
                                       for r in res.runs},
                         "margin": res.margin, "clipped_fraction": clipped, "warnings": len(warns)})
