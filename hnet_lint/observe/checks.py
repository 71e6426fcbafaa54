"""The shared check layer: what an observation means, decided once for every driver.

An *observation* is the plain data a :class:`~hnet_lint.observe.monitor.Monitor` records for one
(model, optimizer) on one rank (:meth:`~hnet_lint.observe.monitor.Monitor.observation`). The
dry-run's smoke phase, :func:`hnet_lint.inspect` and ``hnet-lint watch`` all turn observations
into findings here, so the same fact gets the same code and words whoever saw it.

Several ranks: :func:`merge_observations` combines the ranks' observations *before* judging
(fractions summed over shards, events kept with the rank that saw them), so nothing is lost and
nothing is said twice; :func:`merge_findings` does the same for findings that were already made
(same fact once, different facts all). Values that went non-finite are never compared: a NaN is
reported once, as HNL802, naming the rank and step where it appeared first.

Torch-free: the parent of a watched run judges the ranks' records without importing torch.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Callable, Optional

from ..diagnostics import Diagnostic
from ..dryrun.codes import DRYRUN_CODES, finding

__all__ = ["observation_findings", "merge_observations", "merge_findings", "schedule_findings",
           "first_nonfinite_step", "option"]


def option(options: dict, code: str, key: str) -> Any:
    """A check's threshold: the user's ``--option CODE.key=value`` or the code's default."""
    return options.get(code, {}).get(key, DRYRUN_CODES[code].options[key])


def first_nonfinite_step(obs: dict) -> Optional[int]:
    """The first optimizer step at which gradients or parameters were non-finite (None: never)."""
    steps = [d["step"] for d in obs.get("nonfinite_grads", []) + obs.get("nonfinite_params", [])
             + obs.get("nonfinite_losses", [])]
    return min(steps) if steps else None


def _on_ranks(d: dict, world: int) -> str:
    ranks = d.get("ranks")
    if not ranks or world <= 1:
        return ""
    return f" on rank{'s' if len(ranks) > 1 else ''} {', '.join(map(str, ranks))} of {world}"


def observation_findings(obs: dict, run: Any, options: dict, *, phase: str, file: str | None = None,
                         where: str = "", sites: Optional[dict] = None) -> list[Diagnostic]:
    """Findings from one (merged) observation: HNL804 multipliers, HNL805 zeroing, HNL802
    non-finite, HNL803 frozen elements, HNL806 decay on exempt tensors, HNL820 scheduler steps
    per optimizer step.

    ``sites`` maps what the user's code did to where (``{"optimizer": "train.py:30",
    "zero_grad": ..., "scheduler": ..., "clip": ...}``): findings point there too.
    """
    sites = sites or {}
    world = int(obs.get("world_size", 1))
    out: list[Diagnostic] = []
    seen_stage: set[int] = set()
    for v in obs.get("lr_violations", []):
        if v["stage"] in seen_stage:
            continue
        seen_stage.add(v["stage"])
        s = v["stage"]
        if v["mode"] == "ratio":
            ref = v["reference"]
            why = (f"expected {v['expected_lr']:.3g} = group {ref['group']}'s lr {ref['lr']:.3g} x "
                   f"{v['expected_multiplier']:g}/{ref['multiplier']:g} (the lr ratios must equal the "
                   "multiplier ratios; a plain AdamW ignores the groups' lr_multiplier key)")
        else:
            why = (f"expected {v['expected_lr']:.3g} = base x multiplier {v['expected_multiplier']:g} x "
                   "schedule(t)")
        out.append(finding(run, "HNL804", ("optimizer", "lr_multiplier", s), phase=phase, file=file,
                           site=sites.get("optimizer"),
                           message=f"stage {s}: optimizer group {v['group']} ran at lr {v['lr']:.3g} at step {v['step']}; {why}",
                           data={"measured": v["lr"], "threshold": v["expected_lr"], "step": v["step"],
                                 "stage": s, "group": v["group"], "mode": v["mode"]}))
    mixed = obs.get("mixed_groups", [])
    if mixed:
        m = mixed[0]
        mults = ", ".join(f"stage {s}: {x:g}" for s, x in sorted((int(k), x) for k, x in m["multipliers"].items()))
        how = (f": a wrapper merged them into the flat tensor {', '.join(m['flat'][:2])}, as FSDP1 with "
               "use_orig_params=False does (use FSDP2's fully_shard, or use_orig_params=True, and keep "
               "one group per stage)" if m["flat"]
               else " (build one group per stage multiplier, e.g. with group_params)")
        out.append(finding(run, "HNL804", ("optimizer", "lr_multiplier"), phase="build", file=file,
                           site=sites.get("optimizer"),
                           message=(f"optimizer group {m['group']} holds {m['params']} parameters of stages "
                                    f"{', '.join(map(str, m['stages']))} whose multipliers differ ({mults}), "
                                    f"but one group has one lr ({m['lr']:.3g}): the multipliers are not "
                                    f"applied{how}"),
                           data={"measured": m["lr"], "group": m["group"], "stages": m["stages"],
                                 "flat": m["flat"], "mode": "mixed-group", "groups": len(mixed)}))
    dirty = obs.get("dirty_cycles", [])
    if dirty:
        d = dirty[0]
        out.append(finding(run, "HNL805", ("training", "grad_accum_steps"), phase=phase, file=file,
                           site=sites.get("zero_grad") or sites.get("optimizer"),
                           message=(f"{d['count']} parameters carried non-zero gradients into the "
                                    f"accumulation cycle of optimizer step {d['step']}{_on_ranks(d, world)} "
                                    f"(e.g. {', '.join(d['params'][:3])}); zero_grad must follow every step"),
                           data={"measured": d["count"], "threshold": 0, "step": d["step"],
                                 "params": d["params"], "cycles": len(dirty)}))
    losses = obs.get("nonfinite_losses", [])
    first_loss = min(losses, key=lambda r: r["step"]) if losses else None
    for key, what in (("nonfinite_grads", "gradients"), ("nonfinite_params", "parameters")):
        rec = obs.get(key, [])
        if rec:
            d = min(rec, key=lambda r: r["step"])
            origin = ""
            if first_loss is not None and first_loss["step"] <= d["step"]:
                # under DDP the all-reduce spreads one rank's NaN to every rank's gradients: the
                # loss says where it began
                origin = (f"; the loss was non-finite first, at optimizer step {first_loss['step']}"
                          f"{_on_ranks(first_loss, world)}")
            out.append(finding(run, "HNL802", ("training", "param_dtype"), phase=phase, file=file,
                               message=(f"non-finite {what} first at optimizer step {d['step']}"
                                        f"{_on_ranks(d, world)} in {d['count']} tensors, first "
                                        f"{', '.join(d['params'][:3])}{origin}"),
                               data={"step": d["step"], "params": d["params"], "count": d["count"],
                                     **({"ranks": d["ranks"]} if d.get("ranks") else {}),
                                     **({"loss_ranks": first_loss.get("ranks", []), "loss_step": first_loss["step"]}
                                        if origin else {})}))
            break  # non-finite parameters follow from non-finite gradients
    limit = option(options, "HNL803", "max_frozen_fraction")
    steps = obs.get("steps", 0)
    if first_nonfinite_step(obs) is None:  # NaN is never "unchanged"; frozen fractions then mean nothing
        for u in obs.get("unchanged", []):
            # one update is no evidence: an element can sit still once by chance of rounding
            if u["lr"] > 0 and u["elements"] and u["fraction"] > limit and u.get("steps", steps) >= 2:
                stages = ",".join(map(str, u["stages"]))
                out.append(finding(run, "HNL803", ("training", "param_dtype"), phase=phase, file=file,
                                   site=sites.get("optimizer"),
                                   message=(f"{u['fraction']:.0%} of the elements of optimizer group {u['group']} "
                                            f"(stage {stages}, lr {u['lr']:.3g}) never changed in {u.get('steps', steps)} "
                                            f"steps{where} although they received gradients "
                                            f"(limit {limit:.0%}); worst: "
                                            f"{'; '.join(u['worst'][:3])}. Updates round away in low-precision "
                                            "storage: keep fp32 parameters and autocast"),
                                   data={"measured": u["fraction"], "threshold": limit, "step": steps,
                                         "stage": u["stages"], "group": u["group"], "worst": u["worst"]}))
    bad_decay = obs.get("decayed_exempt", [])
    if bad_decay:
        kinds = sorted({why for _, why, _ in bad_decay})
        names = [n for n, _, _ in bad_decay]
        out.append(finding(run, "HNL806", ("optimizer", "weight_decay"), phase="build", file=file,
                           site=sites.get("optimizer"),
                           message=(f"{len(names)} parameters that should not decay get weight decay "
                                    f"{bad_decay[0][2]:g} ({', '.join(kinds)}), e.g. "
                                    f"{', '.join(names[:4])}"),
                           data={"measured": len(names), "threshold": 0, "params": names[:20],
                                 "reasons": kinds}))
    sched = obs.get("scheduler_per_step")
    if sched and len(sched) > 1:
        # the first entry also holds the constructor's own step() (torch schedulers step once
        # when built). Only "more than once" is judged: a scheduler stepped per epoch or on a
        # validation metric (ReduceLROnPlateau) legitimately skips updates, and a schedule that
        # does not move is HNL824's to judge against a config.
        judged = sched[1:]
        ahead = [(i + 1, k) for i, k in enumerate(judged) if k > 1]
        if ahead:
            counts = sorted({k for _, k in ahead})
            step, k = ahead[0]
            out.append(finding(run, "HNL820", ("schedule",), phase=phase, file=file,
                               site=sites.get("scheduler"),
                               message=(f"the LR scheduler stepped {k} times between optimizer steps {step - 1} and "
                                        f"{step} ({len(ahead)} of {len(judged)} steps; counts seen: "
                                        f"{', '.join(map(str, counts))}): the schedule runs {k}x ahead of the "
                                        "updates. Call scheduler.step() once per optimizer.step(), inside the "
                                        "accumulation condition"),
                               data={"measured": k, "threshold": 1, "step": step, "steps_off": len(ahead),
                                     "counts": counts}))
    return out


def schedule_findings(obs: dict, expected: Callable[[int, int], float], run: Any, *, phase: str,
                      start_step: int = 0, rel_tol: float = 1e-6, file: str | None = None,
                      sites: Optional[dict] = None, source: str = "the config's schedule") -> list[Diagnostic]:
    """HNL824: every group's observed LR at every optimizer step equals ``expected(step,
    stage)`` (what ``hnet-lint schedule`` computes for the config). One finding per stage, at
    the first step that departs, with the ratio."""
    sites = sites or {}
    out: list[Diagnostic] = []
    groups = obs.get("groups", [])
    seen: set[int] = set()
    for t, lrs in enumerate(obs.get("lr_log", [])):
        step = start_step + t
        for g, lr in zip(groups, lrs):
            if len(g["stages"]) != 1:
                continue  # a mixed group is HNL804's
            s = g["stages"][0]
            if s in seen:
                continue
            want = expected(step, s)
            if want is None or math.isclose(lr, want, rel_tol=rel_tol, abs_tol=1e-15):
                continue
            seen.add(s)
            last_t = len(obs["lr_log"]) - 1
            last_lr = obs["lr_log"][last_t][g["index"]] if g["index"] < len(obs["lr_log"][last_t]) else lr
            last_want = expected(start_step + last_t, s)
            ratio = lr / want if want else math.inf
            versus = (f"{ratio:.3g}x the {want:.4g} {source} gives there" if want else
                      f"where {source} gives 0")
            if last_t > t and last_want:
                versus += f"; at step {start_step + last_t}: {last_lr:.4g}, {last_lr / last_want:.3g}x"
            later = sum(1 for u, row in enumerate(obs["lr_log"][t:], start=t)
                        if g["index"] < len(row) and not math.isclose(
                            row[g["index"]], expected(start_step + u, s) or 0.0, rel_tol=rel_tol, abs_tol=1e-15))
            out.append(finding(run, "HNL824", ("schedule",) if run is None else ("optimizer", "lr"),
                               phase=phase, file=file, site=sites.get("scheduler") or sites.get("optimizer"),
                               message=(f"stage {s}: optimizer group {g['index']} ran at lr {lr:.4g} at optimizer "
                                        f"step {step}, {versus} "
                                        f"({later} of {len(obs['lr_log']) - t} observed steps from there depart); "
                                        "the trainer's schedule is not the configured one"),
                               data={"measured": lr, "threshold": want, "step": step, "stage": s,
                                     "group": g["index"], "ratio": ratio}))
    return out


def merge_observations(per_rank: list[dict]) -> dict:
    """One observation from every rank's, without loss.

    Records that are the same fact on every rank (LR logs, group structure) come from the first
    rank; events (non-finite values, dirty cycles, LR violations) are kept once per distinct
    fact with the ranks that saw it; unchanged-element counts are summed over the ranks' shards
    (under DDP every rank holds the whole tensor: the fraction is the same either way).
    """
    per_rank = [o for o in per_rank if o]
    if not per_rank:
        return {}
    if len(per_rank) == 1:
        return dict(per_rank[0])
    out = dict(per_rank[0])
    out["world_size"] = len(per_rank)
    for key in ("lr_violations", "mixed_groups", "dirty_cycles", "nonfinite_grads", "nonfinite_params",
                "nonfinite_losses"):
        merged: list[dict] = []
        index: dict[str, dict] = {}
        for rank, obs in enumerate(per_rank):
            for event in obs.get(key, []):
                ident = repr(sorted((k, v) for k, v in event.items() if k not in ("ranks", "params")))
                if key in ("nonfinite_grads", "nonfinite_params", "nonfinite_losses", "dirty_cycles"):
                    ident = repr(event.get("step"))  # one per step: which ranks, which tensors
                if ident in index:
                    index[ident]["ranks"].append(rank)
                    held, more = index[ident].get("params"), event.get("params")
                    if isinstance(held, list) and isinstance(more, list):  # names (a count elsewhere)
                        index[ident]["params"] = held + [p for p in more if p not in held]
                else:
                    index[ident] = dict(event, ranks=[rank])
                    merged.append(index[ident])
        out[key] = sorted(merged, key=lambda e: e.get("step", 0))
    decayed: dict[str, list] = {}
    for obs in per_rank:
        for name, why, wd in obs.get("decayed_exempt", []):
            decayed.setdefault(name, [name, why, wd])
    out["decayed_exempt"] = list(decayed.values())
    groups: dict[int, dict] = {}
    for obs in per_rank:
        for u in obs.get("unchanged", []):
            g = groups.setdefault(u["group"], dict(u, elements=0, unchanged=0, worst=[]))
            g["elements"] += u["elements"]
            g["unchanged"] += u.get("unchanged", round(u["fraction"] * u["elements"]))
            g["worst"] = g["worst"] + [w for w in u["worst"] if w not in g["worst"]]
    for g in groups.values():
        g["fraction"] = g["unchanged"] / g["elements"] if g["elements"] else 0.0
    out["unchanged"] = [groups[k] for k in sorted(groups)]
    return out


def _fact(f: Diagnostic) -> tuple:
    data = {k: v for k, v in (f.data or {}).items() if k != "ranks"}
    return f.code, f.path, f.message, repr(sorted(data.items()))


def merge_findings(per_rank: list[list[Diagnostic]]) -> list[Diagnostic]:
    """Findings from every rank, without loss: the same fact (code, key, message and data) once
    with every rank that saw it in ``data["ranks"]``; different facts all, each prefixed with
    its rank when rank 0 did not see it."""
    if len(per_rank) == 1:
        return list(per_rank[0])
    merged: dict[tuple, Diagnostic] = {}
    ranks: dict[tuple, list[int]] = {}
    for r, found in enumerate(per_rank):
        for f in found:
            key = _fact(f)
            ranks.setdefault(key, [])
            if r not in ranks[key]:
                ranks[key].append(r)
            if key not in merged:
                merged[key] = f
    out = []
    for key, f in merged.items():
        rs = ranks[key]
        msg = f.message if 0 in rs or len(rs) == len(per_rank) else \
            f"rank{'s' if len(rs) > 1 else ''} {', '.join(map(str, rs))}: {f.message}"
        out.append(replace(f, message=msg, data=dict(f.data or {}, ranks=rs)))
    return out
