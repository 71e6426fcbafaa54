"""Phase 3, peak-LR probe: is the configured peak LR past the knee? (docs/evidence.md §5, §6)

A 20-step prefix of a 2000-step warmup sees 1% of peak, so the probe uses its own schedule:
linear warmup to the configured peak over W = max(40, 10% of the probe) steps (>= 2/(1-beta2)
so Adam's v has settled; shortened to half the probe when --steps is small, and said so), then
hold. It runs the configured LR (1x), a 0.5x control and a 2x margin run from the *same* init
on the *same* batches, so differences are the LR's alone (a paired comparison; absolute
thresholds cannot tell "high" from "too high").

Measured per step and stage: loss, pre-clip grad norm, boundary rate vs 1/N, output log Z,
RMS(g^2/v_hat) per tensor; every ``measure_every`` steps: max attention logit per attention
layer (on a 128-position subsample), Mamba dt / A / exp(dt*A) ranges, update/weight RMS per
optimizer group. Grad-norm maxima are context only: early grad-norm growth predicted the
*wrong* way in the §5 sweep (AUROC 0.02-0.33), so no rule reads it.
"""

from __future__ import annotations

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
from .monitor import stage_of_name
from .train import StepStats, train_step

__all__ = ["ProbeRun", "ProbeResult", "run_probe", "probe_warmup"]

SUBSAMPLE = 128  # positions used for the attention-logit measurement


def probe_warmup(steps: int) -> int:
    """max(40, 10% of the probe), but at most half the probe so some steps run at peak."""
    return max(1, min(max(40, steps // 10), steps // 2))


@dataclass
class ProbeRun:
    """One LR multiple's curves."""

    multiple: float
    steps: list[StepStats] = field(default_factory=list)
    attn_logits: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # layer -> (step, max)
    mamba: dict[int, list[dict]] = field(default_factory=dict)  # stage -> ranges per measured step
    g2v: list[dict[str, float]] = field(default_factory=list)  # per step: tensor -> RMS(g^2/v_hat)
    update_ratio: list[dict] = field(default_factory=list)  # per measured step: group -> RMS(dW)/RMS(W)
    nonfinite: Optional[dict] = None

    def losses(self) -> list[float]:
        return [s.loss for s in self.steps]

    def to_dict(self) -> dict[str, Any]:
        return {
            "multiple": self.multiple, "loss": self.losses(),
            "grad_norm": [s.grad_norm for s in self.steps],
            "stage_grad_norms": [s.stage_grad_norms for s in self.steps],
            "boundary_rates": [s.boundary_rates for s in self.steps],
            "logz_mean": [s.logz_mean for s in self.steps], "logz_max": [s.logz_max for s in self.steps],
            "lr_factor": [s.lr_factor for s in self.steps],
            "attn_max_logit": self.attn_logits, "mamba": self.mamba,
            "g2v_max": [max(d.values(), default=0.0) for d in self.g2v],
            "update_ratio": self.update_ratio, "nonfinite": self.nonfinite,
        }


@dataclass
class ProbeResult:
    runs: list[ProbeRun] = field(default_factory=list)
    warmup: int = 0
    steps_run: int = 0
    findings: list[Diagnostic] = field(default_factory=list)
    margin: Optional[str] = None
    interrupted: bool = False

    def by_multiple(self, m: float) -> Optional[ProbeRun]:
        return next((r for r in self.runs if r.multiple == m), None)

    def to_dict(self) -> dict[str, Any]:
        return {"warmup": self.warmup, "steps_run": self.steps_run, "margin": self.margin,
                "interrupted": self.interrupted, "runs": [r.to_dict() for r in self.runs]}


class _Instruments:
    """Hooks that measure attention logits and Mamba ranges on the steps we ask them to."""

    def __init__(self, setup: TrainSetup, record: ProbeRun) -> None:
        self.setup, self.record = setup, record
        self.step = 0
        self.active = False
        self.handles = []
        S = setup.spec.num_stages
        for name, m in setup.model.named_modules():
            if isinstance(m, CausalMHA):
                self.handles.append(m.register_forward_pre_hook(self._attn_hook(name)))
            elif isinstance(m, Mamba2):
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
        if self.step_is_measured:
            self._snap = {id(p): p.detach().clone() for g in self.setup.optimizer.param_groups for p in g["params"]}

    def _post_step(self) -> None:
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
               steps: int, warm: int, deadline: Optional[float], log: Callable[[str], None]) -> tuple[ProbeRun, bool]:
    rec = ProbeRun(setup.optimizer.param_groups[0]["lr"] / (spec.lr * setup.optimizer.param_groups[0]["lr_multiplier"]))
    inst = _Instruments(setup, rec)
    stopped = False
    try:
        for t in range(steps):
            if deadline is not None and time.monotonic() > deadline:
                stopped = True
                break
            inst.step = t
            inst.step_is_measured = t % opts.measure_every == 0 or t == steps - 1
            inst.active = inst.step_is_measured
            factor = min(1.0, (t + 1) / warm)
            st = train_step(setup, corpus, t, factor, seed=seed, lr_scale=rec.multiple,
                            accum=opts.probe_accum, measure=inst.measure, before_step=inst.before_step)
            rec.steps.append(st)
            if st.nonfinite:
                rec.nonfinite = {"step": t, **st.nonfinite}
                break
            if log and (t + 1) % max(1, steps // 4) == 0:
                log(f"probe {rec.multiple:g}x step {t + 1}/{steps}: loss {st.loss:.4f}")
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


def run_probe(spec: TrainSpec, opts: DryRunOptions, run: Any, corpus: ByteCorpus, seed: int,
              deadline: Optional[float], log: Callable[[str], None], base: TrainSetup) -> ProbeResult:
    """Run the paired probe (1x, 0.5x, 2x by default) and judge it."""
    steps = opts.probe_steps
    res = ProbeResult(warmup=probe_warmup(steps))
    if res.warmup < 40:
        log(f"probe warmup shortened to {res.warmup} steps (probe of {steps} steps); Adam's v needs ~40 at beta2=0.95")
    for m in opts.probe_multiples:
        setup = build_setup(spec, opts, lr_scale=m, device=base.device, scale=base.scale)
        rec, stopped = _probe_one(spec, opts, setup, corpus, seed, steps, res.warmup, deadline, log)
        rec.multiple = m
        res.runs.append(rec)
        if stopped:
            res.interrupted = True
            break
    one = res.by_multiple(1.0)
    res.steps_run = len(one.steps) if one else 0
    res.findings = judge(res, spec, run, opts.options)
    return res


def _anchor_stage(spec: TrainSpec) -> int:
    return max(range(len(spec.multipliers)), key=lambda s: spec.multipliers[s])


def judge(res: ProbeResult, spec: TrainSpec, run: Any, options: dict) -> list[Diagnostic]:
    """§7.2 thresholds (provisional defaults, overridable per code)."""
    out: list[Diagnostic] = []
    one, half, two = res.by_multiple(1.0), res.by_multiple(0.5), res.by_multiple(2.0)
    s_max = _anchor_stage(spec)
    lr_key = ("optimizer", "lr_multiplier", s_max) if len(spec.multipliers) > 1 else ("optimizer", "lr")
    peak = spec.lr * spec.multipliers[s_max]
    if one is None or len(one.steps) < 4:
        return out
    frac = _opt(options, "HNL807", "tail_fraction")
    if one.nonfinite:
        ctrl = "also" if half is not None and half.nonfinite else "not"
        out.append(finding(run, "HNL802", lr_key, phase="probe",
                           message=(f"probe at the configured peak LR went non-finite at step {one.nonfinite['step']}"
                                    f" (module {one.nonfinite.get('module') or 'unknown'}); the 0.5x control "
                                    f"{ctrl} did"),
                           data={"step": one.nonfinite["step"], "stage": s_max, "lr": peak}))
    elif half is not None and not half.nonfinite and len(half.steps) >= 8:
        nc = min(len(one.steps), len(half.steps))  # equal steps: an interrupted control is cut to match
        l1, l05 = _tail(one.losses()[:nc], frac), _tail(half.losses()[:nc], frac)
        excess = statistics.fmean(l1) - statistics.fmean(l05)
        h = len(l1) // 2
        diff_trend = (statistics.fmean([a - b for a, b in zip(l1[h:], l05[h:])])
                      - statistics.fmean([a - b for a, b in zip(l1[:h], l05[:h])]))
        rising = statistics.fmean(l1[h:]) > statistics.fmean(l1[:h]) and \
            statistics.fmean(l05[h:]) < statistics.fmean(l05[:h])
        warn, fail = _opt(options, "HNL807", "margin_nats"), _opt(options, "HNL807", "fail_margin_nats")
        if excess > warn or rising:
            sev = Severity.ERROR if excess > fail else None
            out.append(finding(run, "HNL807", lr_key, severity=sev,
                               message=(f"past the knee: over the last {len(l1)} probe steps the configured peak LR "
                                        f"(stage {s_max}: {peak:.3g}) averages loss {statistics.fmean(l1):.3f} vs "
                                        f"{statistics.fmean(l05):.3f} at 0.5x (worse by {excess:.3f} nats, threshold "
                                        f"{warn:g}{'; its loss rises while the control falls' if rising else ''}). "
                                        f"At 0.5x the same probe trains better on the same batches"),
                               data={"measured": excess, "threshold": warn, "fail_threshold": fail,
                                     "step": len(one.steps), "stage": s_max, "rising": rising,
                                     "diff_trend": diff_trend}))
    if two is not None and one.steps:
        l1 = statistics.fmean(_tail(one.losses(), frac))
        if two.nonfinite:
            res.margin = f"2x LR went non-finite at step {two.nonfinite['step']}: margin < 2x"
        elif len(two.steps) == len(one.steps):
            l2 = statistics.fmean(_tail(two.losses(), frac))
            ok = l2 <= l1 + _opt(options, "HNL807", "margin_nats")
            res.margin = (f"2x LR still trains (tail loss {l2:.3f} vs {l1:.3f} at 1x)" if ok else
                          f"2x LR trains worse (tail loss {l2:.3f} vs {l1:.3f} at 1x): margin < 2x")
    # Attention-logit growth per layer.
    max_logit, afrac = _opt(options, "HNL808", "max_logit"), _opt(options, "HNL808", "tail_fraction")
    n = len(one.steps)
    for layer, series in one.attn_logits.items():
        tail = [v for t, v in series if t >= n * (1 - afrac)]
        if tail and tail[-1] > max_logit and len(tail) >= 2 and tail[-1] > tail[0]:
            st = stage_of_name(layer, spec.num_stages)
            out.append(finding(run, "HNL808", ("optimizer", "lr_multiplier", st),
                               message=(f"max attention logit in {layer} reached {tail[-1]:.1f} (> {max_logit:g}) "
                                        f"and is still rising over the last {afrac:.0%} of the probe"),
                               data={"measured": tail[-1], "threshold": max_logit, "step": series[-1][0],
                                     "stage": st, "layer": layer}))
    # Stale second moment after warmup (per tensor, consecutive steps).
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
    # Router boundary rate vs 1/N. Early routers swing widely (0.02-0.9 within 60 steps on the tiny
    # model), so a finding needs the 1x run *and* the 0.5x control out of the band on the same side.
    lo, hi = _opt(options, "HNL810", "low"), _opt(options, "HNL810", "high")
    for s, N in enumerate(spec.target_ratios[: spec.num_stages]):
        verdicts = []
        for r in [x for x in (one, half) if x is not None and x.steps and not x.nonfinite]:
            rates = [st.boundary_rates[s] for st in r.steps]
            end = statistics.fmean(_tail(rates, 0.25))
            q = max(1, len(rates) // 4)
            quarters = [statistics.fmean(rates[i * q:(i + 1) * q]) for i in range(4) if rates[i * q:(i + 1) * q]]
            side = "low" if end < lo / N else "high" if end > hi / N else None
            if side is None and all(b < a for a, b in zip(quarters, quarters[1:])) and end < 0.05:
                side = "low"  # monotone drift toward 0: no chunks
            if side is None and all(b > a for a, b in zip(quarters, quarters[1:])) and end > 0.95:
                side = "high"  # monotone drift toward 1: no compression
            verdicts.append((side, end, quarters))
        sides = {v[0] for v in verdicts}
        if verdicts and len(sides) == 1 and None not in sides:
            side, end, quarters = verdicts[0]
            ctrl = f"; the 0.5x control ends at {verdicts[1][1]:.3f}" if len(verdicts) > 1 else ""
            out.append(finding(run, "HNL810", ("routing", "target_ratio", s),
                               message=(f"stage {s} router selects {end:.3f} of positions as boundaries over the last "
                                        f"25% of the probe (target 1/N = {1 / N:.3f}, band [{lo / N:.3f}, {hi / N:.3f}]; "
                                        f"quarter means {', '.join(f'{x:.3f}' for x in quarters)}{ctrl})"),
                               data={"measured": end, "threshold": [lo / N, hi / N], "step": n, "stage": s,
                                     "side": side, "quarters": quarters,
                                     "control": verdicts[1][1] if len(verdicts) > 1 else None}))
    # Context: grad norms with clipping, never as "explosion".
    norms = [s.grad_norm for s in one.steps if math.isfinite(s.grad_norm)]
    clipped = sum(s.clipped for s in one.steps) / max(1, len(one.steps))
    res_ctx = (f"pre-clip grad norm median {statistics.median(norms):.3g}, max {max(norms):.3g}, "
               f"{clipped:.0%} of steps clipped (clipping bounded those updates)") if norms else ""
    warns = [f for f in out if f.severity >= Severity.WARNING]
    summary = (f"probe: {n} steps ({res.warmup} warmup) at peak LR x{', x'.join(f'{r.multiple:g}' for r in res.runs)}; "
               f"{res.margin or 'no margin run'}; {res_ctx}")
    out.append(finding(run, "HNL814", ("optimizer", "lr"), message=summary,
                       data={"steps": n, "warmup": res.warmup, "peak_lrs": spec.peak_lrs(),
                             "tail_loss": {str(r.multiple): (statistics.fmean(_tail(r.losses(), frac))
                                                             if r.steps and not r.nonfinite else None)
                                           for r in res.runs},
                             "margin": res.margin, "clipped_fraction": clipped, "warnings": len(warns)}))
    return out
