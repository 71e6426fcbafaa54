"""From the ranks' record files to findings: the parent's side of a watched run (torch-free).

Each rank's observation is judged by the shared check layer
(:mod:`hnet_lint.observe.checks`) after the ranks are merged; what only the parent can see
comes on top: replicated parameters and gradients compared across ranks through their digests
(HNL817, never on non-finite values), a crash (HNL821), a stuck rank (HNL822, from the
session's deadline), an early end (HNL823), a run that never stepped (HNL827), and with a
config, the LR schedule (HNL824) and the loop's accumulation and clipping (HNL825).
"""

from __future__ import annotations

import glob
import json
import math
import os
from dataclasses import dataclass, field
from typing import Any, Optional

from ..diagnostics import Diagnostic
from ..dryrun.codes import finding
from ..observe.checks import (first_nonfinite_step, merge_observations, observation_findings,
                              schedule_findings)

__all__ = ["RankRecords", "read_records", "judge", "Outcome"]


@dataclass
class RankRecords:
    """Everything one rank wrote (its last process, if torchrun restarted it)."""

    rank: int
    pid: int
    records: list[dict] = field(default_factory=list)
    observation: dict = field(default_factory=dict)

    def of(self, kind: str) -> list[dict]:
        return [r for r in self.records if r.get("kind") == kind]

    @property
    def steps(self) -> list[dict]:
        return self.of("step")

    @property
    def last_step(self) -> int:
        """Optimizer steps this rank completed."""
        return len(self.steps)

    @property
    def exit(self) -> Optional[dict]:
        ends = self.of("exit")
        return ends[-1] if ends else None

    @property
    def crash(self) -> Optional[dict]:
        crashes = self.of("crash")
        return crashes[0] if crashes else None


def _read_jsonl(path: str) -> list[dict]:
    out = []
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.endswith("\n"):  # a line still being written is read next time
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
    except OSError:
        pass
    return out


def read_records(folder: str) -> dict[int, RankRecords]:
    """rank -> its records; processes that never reached an optimizer step are left out
    unless no process did (then the first one per rank)."""
    by_rank: dict[int, RankRecords] = {}
    for path in sorted(glob.glob(os.path.join(folder, "rank*-*.jsonl"))):
        stem = os.path.basename(path)[len("rank"):-len(".jsonl")]
        rank_text, _, pid_text = stem.partition("-")
        if not (rank_text.isdigit() and pid_text.isdigit()):
            continue
        rec = RankRecords(int(rank_text), int(pid_text), _read_jsonl(path))
        try:
            with open(path[:-len(".jsonl")] + ".obs.json", encoding="utf-8") as fh:
                rec.observation = json.load(fh)
        except (OSError, ValueError):
            pass
        old = by_rank.get(rec.rank)
        if old is None or (rec.of("attach") and (not old.of("attach") or rec.records[0].get("time", 0)
                                                  > old.records[0].get("time", 0))):
            by_rank[rec.rank] = rec
    return dict(sorted(by_rank.items()))


@dataclass
class Outcome:
    """How the command ended, as the session saw it."""

    returncode: Optional[int] = None
    stuck: Optional[dict] = None  # {"rank", "step", "seconds"} when the deadline stopped it
    interrupted: bool = False
    planned: int = 0  # 0: follow the whole run
    unloadable: list[dict] = field(default_factory=list)


def _observation_of(rank: RankRecords) -> dict:
    obs = dict(rank.observation)
    obs["lr_log"] = [r["lrs"] for r in rank.steps]  # the step records are the newest
    obs.setdefault("steps", rank.last_step)
    if rank.of("attach") and "groups" not in obs:
        obs["groups"] = rank.of("attach")[0]["groups"]
    return obs


def judge(folder: str, outcome: Outcome, run: Any = None, options: Optional[dict] = None,
          config_schedule: Any = None, notes: Optional[list[str]] = None) -> list[Diagnostic]:
    """All findings for a watched run (or for what it has written so far)."""
    options = options or {}
    ranks = read_records(folder)
    stepped = {r: rec for r, rec in ranks.items() if rec.of("attach")}
    out: list[Diagnostic] = []
    if not stepped:
        return _nothing_seen(run, ranks, outcome)
    world = max([rec.of("start")[0].get("world", 1) for rec in stepped.values() if rec.of("start")] + [1])
    per_rank = [_observation_of(rec) for rec in stepped.values()]
    merged = merge_observations(per_rank)
    merged["world_size"] = len(stepped)
    first = next(iter(stepped.values()))
    sites = dict((first.observation.get("sites") or {}))
    sites.setdefault("optimizer", first.of("attach")[0].get("site"))
    out += observation_findings(merged, run, options, phase="watch", sites=sites, file="<watch>")
    out += _low_precision(run, first, sites)
    out += _localized(run, stepped, first_nonfinite_step(merged))
    nan_at = first_nonfinite_step(merged)
    if len(stepped) > 1:
        out += _rank_agreement(run, stepped, nan_at, sites)
    if config_schedule is not None:
        eff = config_schedule
        out += schedule_findings(merged, lambda t, s: eff.lr(t, s) if t < eff.optimizer_steps else None, run,
                                 phase="watch", sites=sites, rel_tol=float(options.get("HNL824", {}).get("rel_tol", 1e-6)),
                                 source=f"`hnet-lint schedule` ({eff.profile.label}, world size {eff.world_size})")
        out += _loop_vs_config(run, first, eff, sites)
    out += _ending(run, ranks, stepped, outcome)
    out.append(_summary(run, stepped, merged, world, outcome, config_schedule, notes or []))
    return out


def _nothing_seen(run: Any, ranks: dict, outcome: Outcome) -> list[Diagnostic]:
    why = []
    if outcome.unloadable:
        u = outcome.unloadable[0]
        why.append(f"the trainer's Python could not load hnet-lint ({u.get('error')}); install hnet-lint in the "
                   "environment the trainer runs in")
    elif not ranks:
        why.append("no process of the command imported torch")
    else:
        why.append(f"{len(ranks)} process(es) imported torch but none called optimizer.step()")
    if outcome.returncode not in (None, 0):
        why.append(f"the command exited with status {outcome.returncode}")
    crash = next((r.crash for r in ranks.values() if r.crash), None)
    if crash:
        why.append(f"rank raised {crash['error']}")
    return [finding(run, "HNL827", ("training",), phase="watch", file="<watch>",
                    message="no optimizer step was observed, so nothing was checked: " + "; ".join(why),
                    data={"returncode": outcome.returncode, "processes": len(ranks)})]


def _low_precision(run: Any, rank: RankRecords, sites: dict) -> list[Diagnostic]:
    low = rank.of("attach")[0].get("low_precision") or {}
    if not low.get("count"):
        return []
    return [finding(run, "HNL812", ("training", "param_dtype"), phase="watch", file="<watch>",
                    site=sites.get("optimizer"),
                    message=(f"{low['count']} trainable parameters are stored in {low['dtype']} (e.g. "
                             f"{', '.join(low['params'][:3])}); AdamW updates below half a bf16 spacing round away"),
                    data={"measured": low["count"], "threshold": 0, "params": low["params"]})]


def _localized(run: Any, stepped: dict, nan_at: Optional[int]) -> list[Diagnostic]:
    """Where the first non-finite value came from: a module's output in the forward pass, or
    (no module output was non-finite by the step whose gradients were) the loss computed
    outside the model."""
    for rank, rec in stepped.items():
        hit = next((r["nonfinite_module"] for r in rec.steps if r.get("nonfinite_module")), None)
        if nan_at is not None and (hit is None or hit["step"] > nan_at):
            losses = {r: next((s.get("loss") for s in x.steps if s["step"] == nan_at), None)
                      for r, x in stepped.items()}
            bad = [r for r, v in losses.items() if v is not None and not math.isfinite(v)]
            who = (f" on rank{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad))} (the others' losses were "
                   "finite; the all-reduce spread it)" if bad and len(bad) < len(stepped) else "")
            return [finding(run, "HNL802", ("training", "param_dtype"), phase="watch", file="<watch>",
                            message=(f"no module's output was non-finite in the forward pass of optimizer step "
                                     f"{nan_at}, but its gradients were: the loss (or a scale applied to it) "
                                     f"outside the model produced the first non-finite value{who}"),
                            data={"module": None, "step": nan_at, "ranks": bad})]
        if hit:
            return [finding(run, "HNL802", ("training", "param_dtype"), phase="watch", file="<watch>",
                            message=(f"the first non-finite output came from module `{hit['module']}` in the "
                                     f"forward pass of optimizer step {hit['step']} on rank {rank}"),
                            data={"module": hit["module"], "step": hit["step"], "rank": rank})]
    return []


def _rank_agreement(run: Any, stepped: dict, nan_at: Optional[int], sites: dict) -> list[Diagnostic]:
    """HNL817 from the digests: replicated tensors must be bit-identical on every rank."""
    names = next(iter(stepped.values())).of("attach")[0].get("replicated", [])
    steps = min(rec.last_step for rec in stepped.values())
    for t in range(steps):
        if nan_at is not None and t >= nan_at:
            break  # non-finite values are HNL802's; comparing them says nothing
        rows = [rec.steps[t] for rec in stepped.values()]
        for key, what, fix, site in (
                ("clip_digests", "gradients of replicated parameters at clip_grad_norm_",
                 "the gradients were clipped before DDP's all-reduce (inside no_sync, or before the last "
                 "micro-batch's backward), so each rank scaled its own partial sum; clip once per optimizer "
                 "step, after the last backward", sites.get("clip")),
                ("grad_digest", "gradients of replicated parameters at optimizer.step()",
                 "the step used gradients that were never all-reduced: no_sync must end before the last "
                 "micro-batch's backward", sites.get("optimizer")),
                ("param_digest", "replicated parameters after the step",
                 "each rank trains a different model: seed init identically (or let DDP broadcast rank 0's "
                 "weights) and sync every gradient", sites.get("optimizer"))):
            values = [r.get(key) for r in rows]
            if any(v is None for v in values):
                continue
            if key == "clip_digests":
                values = [v[0] if v else None for v in values]
                site = next((r.get("clip_site") for r in rows if r.get("clip_site")), site)
            differ = [names[i] if i < len(names) else f"#{i}" for i in range(len(values[0] or []))
                      if len({v[i] for v in values}) > 1]
            if differ:
                return [finding(run, "HNL817", ("training", "seed"), phase="watch", file="<watch>", site=site,
                                message=(f"{len(differ)} of {len(values[0])} {what} differ between the "
                                         f"{len(stepped)} ranks at optimizer step {t} (e.g. "
                                         f"{', '.join(differ[:3])}): {fix}"),
                                data={"measured": len(differ), "threshold": 0, "params": differ[:20],
                                      "step": t, "when": key})]
    return []


def _loop_vs_config(run: Any, rank: RankRecords, eff: Any, sites: dict) -> list[Diagnostic]:
    out = []
    forwards = [r["forwards"] for r in rank.steps[1:]]  # step 0's forwards ran before the watch attached
    if forwards and eff.accumulation and all(f != eff.accumulation for f in forwards):
        seen = sorted(set(forwards))
        out.append(finding(run, "HNL825", ("training", "grad_accum_steps"), phase="watch", file="<watch>",
                           site=sites.get("optimizer"),
                           message=(f"the loop ran {', '.join(map(str, seen))} forward pass(es) with gradients per "
                                    f"optimizer step; the config's accumulation is {eff.accumulation}"),
                           data={"measured": seen, "threshold": eff.accumulation, "what": "accumulation"}))
    want_clip = _config_clip(run)
    clips = [r.get("max_norm") for r in rank.steps if r.get("max_norm") is not None]
    if want_clip is not None and want_clip > 0 and not clips and rank.steps:
        out.append(finding(run, "HNL825", ("training", "grad_clip"), phase="watch", file="<watch>",
                           message=(f"the config clips at {want_clip:g} but the loop never called "
                                    "clip_grad_norm_ in the steps watched"),
                           data={"measured": None, "threshold": want_clip, "what": "clipping"}))
    elif want_clip is not None and clips and any(abs(c - want_clip) > 1e-9 * max(1.0, want_clip) for c in clips):
        out.append(finding(run, "HNL825", ("training", "grad_clip"), phase="watch", file="<watch>",
                           site=next((r.get("clip_site") for r in rank.steps if r.get("clip_site")), None),
                           message=(f"the loop clips at max_norm {clips[0]:g}; the config says {want_clip:g}"),
                           data={"measured": clips[0], "threshold": want_clip, "what": "clipping"}))
    return out


def _config_clip(run: Any) -> Optional[float]:
    training = getattr(run, "training", None)
    value = getattr(training, "grad_clip", None) if training is not None else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _ending(run: Any, ranks: dict, stepped: dict, outcome: Outcome) -> list[Diagnostic]:
    out = []
    if outcome.stuck:
        s = outcome.stuck
        out.append(finding(run, "HNL822", ("training",), phase="watch", file="<watch>",
                           message=(f"rank {s['rank']} made no progress for {s['seconds']:.0f} s after optimizer step "
                                    f"{s['step']} (the per-step deadline; other ranks reached step "
                                    f"{s.get('others', '?')}); the job was stopped. A rank waiting in a collective "
                                    "its peers never enter hangs until the launcher's timeout"),
                           data=dict(s)))
    crashes = sorted(((rec.crash["step"], rec.crash.get("time", 0), rank, rec) for rank, rec in ranks.items()
                      if rec.crash), key=lambda x: x[:3])
    for i, (_, _, rank, rec) in enumerate(crashes):
        c = rec.crash
        tail = c.get("traceback", "").strip().splitlines()
        where = next((line.strip() for line in reversed(tail) if line.strip().startswith("File ")), "")
        out.append(finding(run, "HNL821", ("training",), phase="watch", file="<watch>",
                           message=(f"rank {rank} raised {c['error'][:300]} after optimizer step {c['step']}"
                                    + (f" ({where})" if where else "")
                                    + (f"; after rank {crashes[0][2]} failed first" if i else "")),
                           data={"rank": rank, "step": c["step"], "error": c["error"],
                                 "traceback": c.get("traceback", "")[-2000:]}))
    crashed = any(rec.crash for rec in ranks.values())
    if not crashed and not outcome.stuck and not outcome.interrupted:
        missing = [r for r, rec in stepped.items() if rec.exit is None]
        if missing and outcome.returncode not in (None, 0):
            r = missing[0]
            out.append(finding(run, "HNL821", ("training",), phase="watch", file="<watch>",
                               message=(f"rank {r} ended without exiting (killed, or a signal) after optimizer step "
                                        f"{stepped[r].last_step}; the command exited with status {outcome.returncode}"),
                               data={"rank": r, "step": stepped[r].last_step, "returncode": outcome.returncode}))
        elif outcome.planned and not missing:
            short = {r: rec.last_step for r, rec in stepped.items() if rec.last_step < outcome.planned}
            if short:
                r, n = next(iter(short.items()))
                out.append(finding(run, "HNL823", ("training",), phase="watch", file="<watch>",
                                   message=(f"the trainer exited after {n} of the {outcome.planned} planned optimizer "
                                            f"steps (rank {r}); checks that need more steps saw only those"),
                                   data={"measured": n, "threshold": outcome.planned}))
    return out


def _summary(run: Any, stepped: dict, merged: dict, world: int, outcome: Outcome, eff: Any,
             notes: list[str]) -> Diagnostic:
    first = next(iter(stepped.values()))
    attach = first.of("attach")[0]
    steps = min(rec.last_step for rec in stepped.values())
    ran = [f"{len(merged.get('groups', []))} optimizer group(s) of {attach.get('optimizer')} over "
           f"{attach.get('model') or 'an unknown model'} ({attach.get('engine')}, "
           f"{attach.get('num_stages', 0) + 1 if attach.get('tagged') else '?'} stage(s))",
           f"{steps} optimizer step(s) on {len(stepped)} of {world} rank(s)"]
    checked = ["scheduler steps per update" if merged.get("scheduler_per_step") else
               "scheduler: none seen stepping"]
    checked.append("multipliers from the parameters' lr_multiplier tags" if merged.get("tagged") else
                   "multipliers: not checked (parameters carry no lr_multiplier tag; pass --config)")
    checked.append(f"LR schedule vs the config ({eff.profile.label}, world size {eff.world_size})" if eff is not None
                   else notes[0] if notes else "LR schedule: not checked (no --config)")
    checked.append("clipping watched" if attach.get("clip_watched") else "clipping: not watched on this torch")
    if len(stepped) > 1:
        checked.append(f"{len(attach.get('replicated', []))} replicated tensors compared across ranks"
                       if attach.get("replicated") else "rank agreement: nothing replicated (sharded)")
    return finding(run, "HNL826", ("training",), phase="watch", file="<watch>",
                   message="watched " + "; ".join(ran) + ". Checked: " + "; ".join(checked),
                   data={"steps": steps, "ranks": sorted(stepped), "world_size": world,
                         "engine": attach.get("engine"), "optimizer": attach.get("optimizer")})
