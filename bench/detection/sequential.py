"""The LR-edge decision policies replayed offline on recorded per-seed probe results.

    python -m bench.detection.sequential [--per-seed bench/detection/dryrun_results_9seeds.jsonl]
    python -m bench.detection.sequential --simulate      # error rates of each policy on normal gaps

``run_dryrun.py --probe-seeds 9`` records, per case, every seed's 1x-minus-0.5x gap and the 1x
run's end-of-probe max attention logit (``per_seed``). Seeds are independent (seed k's pair
never depends on seed j's), so the first n records are exactly what an n-seed probe would
have measured, and any policy that reads seeds in order can be replayed without running
anything: the fixed 3-seed rule as shipped before issue 17, and the sequential plan
(:func:`hnet_lint.dryrun.decide.sequential_edge`) at several z and caps. Each is scored against
the long-run labels of ``report.py`` (positive: too high or diverged) and reports precision,
recall, false alarms, the inconclusive rate, passes on the family's best LR, and the cost in
seed pairs (mean and max). HNL808's old rule (above 100 and still rising in a majority of
seeds) and its level rule (seed median above 100) are scored on the same seeds.

``--simulate`` draws normal gaps (sd 0.05 / 0.09 / 0.15, the audit's range) at true gaps 0 and
``margin`` and measures each policy's two error rates with the shipped decision functions.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from typing import Callable, Optional, Sequence

from hnet_lint.dryrun.decide import INCONCLUSIVE, NOT_PAST, PAST, EdgeDecision, decide_edge, sequential_edge

from .cases import MULT_SWEEPS
from .report import _scores, load, truth

Policy = Callable[[Sequence[float], Sequence[float]], EdgeDecision]


def legacy(gaps: Sequence[float], attn: Sequence[float]) -> EdgeDecision:
    """The rule before issue 17: 3 fixed seeds, z 1.64, and an inconclusive gap called "past"
    whenever the attention-logit median passed 100 and the mean gap was above 0."""
    g, a = list(gaps[:3]), list(attn[:3])
    dec = decide_edge(g, z=1.64, attn_levels=a, max_logit=None)
    if dec.outcome == INCONCLUSIVE and a and statistics.median(a) > 100 and dec.mean > 0:
        dec.outcome, dec.by_attention = PAST, True
    return dec


def fixed(n: int, z: float, factor: float = 3.0) -> Policy:
    return lambda g, a: decide_edge(list(g[:n]), z=z, attn_levels=list(a[:n]), attention_factor=factor)


def sequential(first: int, cap: int, z: float, factor: float = 3.0) -> Policy:
    return lambda g, a: sequential_edge(list(g), first=first, cap=cap, attn_levels=list(a), z=z,
                                        attention_factor=factor)


POLICIES: dict[str, Policy] = {
    "before (3 seeds, z 1.64, logit tie-break at 100)": legacy,
    "3 seeds, z 1.64, tie-break 3x100": fixed(3, 1.64),
    "3 seeds, z 2.0, tie-break 3x100": fixed(3, 2.0),
    "sequential 3->7, z 1.64": sequential(3, 7, 1.64),
    "sequential 3->9, z 1.64": sequential(3, 9, 1.64),
    "sequential 3->7, z 2.0": sequential(3, 7, 2.0),
    "sequential 3->9, z 2.0": sequential(3, 9, 2.0),
    "sequential 3->9, z 2.2 (default)": sequential(3, 9, 2.2),
    "sequential 3->9, z 2.45 (Bonferroni 5%)": sequential(3, 9, 2.45),
}


def _f(x: float) -> str:
    return "n/a" if x != x else f"{x:.2f}"


def merged(nine: list[dict], three: list[dict]) -> list[dict]:
    """Per-seed rows: the 9-seed records, and for every other case whose probe ran, its 3-seed
    record (gaps; each seed's logit taken as the recorded median, "rising" as whether HNL808
    fired). Only cases every policy decides at the first look were left at 3 seeds;
    :func:`replay` counts any decision that would have needed more seeds than were recorded."""
    have = {r["case"] for r in nine}
    rows = [r for r in nine if r.get("per_seed") and all(p["complete"] for p in r["per_seed"])]
    for r in three:
        if r["case"] in have or not r.get("gaps") or r.get("family") == "inspect":
            continue
        hot = "HNL808" in r.get("codes", {})
        rows.append({**r, "per_seed": [{"seed": k, "complete": True, "gap": g, "attn_end": r["attn_median"],
                                        "attn_rising": hot} for k, g in enumerate(r["gaps"])]})
    return rows


def policy_table(cases: dict, rows: list[dict]) -> tuple[list[str], dict[str, list[EdgeDecision]]]:
    """Every policy's scores on these rows, and its decisions."""
    gold = [cases[r["case"]]["label"] in ("diverged", "too high") for r in rows]
    best = [cases[r["case"]]["x"] == cases[r["case"]]["best_x"] for r in rows]
    nine = sum(len(r["per_seed"]) >= 9 for r in rows)
    out = [f"{len(rows)} cases whose probe ran ({nine} with 9 recorded seeds, the rest decided at 3 by every "
           f"policy), {sum(gold)} positive (too high), {sum(best)} at their family's best LR", "",
           "| policy | TP | FP | FN | TN | precision | recall | false alarms | inconclusive "
           "| inconclusive on positives | passes on ok cases | passes at the best LR | mean seeds | max seeds | past by the logit tie-break "
           "| of which error | short of data |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    detail: dict[str, list[EdgeDecision]] = {}
    for name, pol in POLICIES.items():
        decs = [pol([p["gap"] for p in r["per_seed"]], [p["attn_end"] for p in r["per_seed"]]) for r in rows]
        detail[name] = decs
        s = _scores([d.outcome == PAST for d in decs], gold)
        inc = [d.outcome == INCONCLUSIVE for d in decs]
        out.append(f"| {name} | {s['tp']} | {s['fp']} | {s['fn']} | {s['tn']} | {_f(s['precision'])} | "
                   f"{_f(s['recall'])} | {_f(s['false_alarm'])} | {sum(inc)} ({sum(inc) / len(rows):.0%}) | "
                   f"{sum(i and g for i, g in zip(inc, gold))} of {sum(gold)} | "
                   f"{sum(d.outcome == NOT_PAST and not g for d, g in zip(decs, gold))} of {len(gold) - sum(gold)} | "
                   f"{sum(d.outcome == NOT_PAST and b for d, b in zip(decs, best))} of {sum(best)} | "
                   f"{statistics.fmean(d.n for d in decs):.2f} | {max(d.n for d in decs)} | "
                   f"{sum(d.by_attention for d in decs)} | {sum(d.outcome == PAST and d.error for d in decs)} | "
                   f"{sum(d.outcome == INCONCLUSIVE and d.n == len(r['per_seed']) < 9 for d, r in zip(decs, rows))} |")
    return out, detail


def replay(cases: dict, recs: list[dict]) -> str:
    """The tuning corpus (the LR families), then the held-out multiplier sweeps on their own."""
    rows = [r for r in recs if r["case"] in cases and r["family"] not in MULT_SWEEPS]
    held = [r for r in recs if r["case"] in cases and r["family"] in MULT_SWEEPS]
    out, detail = policy_table(cases, rows)
    if held:
        table, hdetail = policy_table(cases, held)
        out += ["", f"Held out ({', '.join(MULT_SWEEPS)}: stage 0's multiplier swept at one base LR, added after "
                "the policy was chosen):", "", *table]
        rows += held
        detail = {k: v + hdetail[k] for k, v in detail.items()}
    out += ["", "Per case (before -> sequential 3->9 at z 2.2, the default; seeds used):", "",
            "| case | label | regret | gaps (9 seeds) | logit median (3 / 9 seeds) | before | after | seeds |",
            "|---|---|---|---|---|---|---|---|"]
    short = {PAST: "past", NOT_PAST: "not past", INCONCLUSIVE: "inconclusive"}
    for k, r in enumerate(rows):
        c = cases[r["case"]]
        a, b = detail[next(iter(POLICIES))][k], detail["sequential 3->9, z 2.2 (default)"][k]
        att = [p["attn_end"] for p in r["per_seed"]]
        gaps = [p["gap"] for p in r["per_seed"]]
        out.append(f"| {r['case']} | {c['label']} | {c['regret']:+.3f} | "
                   f"{', '.join(f'{g:+.2f}' for g in gaps)} | "
                   f"{statistics.median(att[:3]):.0f} / {statistics.median(att):.0f} | "
                   f"{short[a.outcome]}{' (logit)' if a.by_attention else ''} | "
                   f"{short[b.outcome]}{' (logit)' if b.by_attention else ''} | {b.n} |")
    out += ["", attention_rules(cases, rows, detail["sequential 3->9, z 2.2 (default)"]), ""]
    return "\n".join(out)


def attention_rules(cases: dict, rows: list[dict], seq: list[EdgeDecision]) -> str:
    """HNL808 before (majority above 100 and rising) vs after (median above 100), on the first 3
    seeds and on the seeds the sequential plan ran."""
    gold = [cases[r["case"]]["label"] in ("diverged", "too high") for r in rows]
    lines = ["| HNL808 rule | seeds | TP | FP | FN | TN | precision | recall | false alarms |",
             "|---|---|---|---|---|---|---|---|---|"]
    for label, n_of in (("3 (fixed)", lambda k: 3), ("as the sequential plan ran", lambda k: seq[k].n)):
        for rule, fn in (("before: > 100 and still rising in a majority",
                          lambda ps: 2 * sum(p["attn_rising"] for p in ps) > len(ps)),
                         ("after: seed median > 100, any trend",
                          lambda ps: statistics.median(p["attn_end"] for p in ps) > 100)):
            s = _scores([fn(r["per_seed"][:n_of(k)]) for k, r in enumerate(rows)], gold)
            lines.append(f"| {rule} | {label} | {s['tp']} | {s['fp']} | {s['fn']} | {s['tn']} | "
                         f"{_f(s['precision'])} | {_f(s['recall'])} | {_f(s['false_alarm'])} |")
    return "\n".join(lines)


def simulate(reps: int, seed: int = 0, only: Optional[list[str]] = None) -> str:
    """Error rates of every policy (no attention input) on normal gaps: false "past" at a true gap
    of 0, false "not past" at a true gap of the margin, and the mean seeds used."""
    rng = random.Random(seed)
    pols = {k: v for k, v in POLICIES.items() if only is None or any(o in k for o in only)}
    out = ["| policy | seed sd | false past at gap 0 | false not-past at gap 0.05 | inconclusive at 0 / 0.025 / 0.10 "
           "| mean seeds at 0 / 0.10 |", "|---|---|---|---|---|---|"]
    for name, pol in pols.items():
        for sd in (0.05, 0.09, 0.15):
            res = {}
            for mu in (0.0, 0.025, 0.05, 0.10):
                decs = [pol([rng.gauss(mu, sd) for _ in range(9)], []) for _ in range(reps)]
                res[mu] = decs
            rate = lambda mu, o: sum(d.outcome == o for d in res[mu]) / reps  # noqa: E731
            out.append(f"| {name} | {sd:g} | {rate(0.0, PAST):.3f} | {rate(0.05, NOT_PAST):.3f} | "
                       f"{rate(0.0, INCONCLUSIVE):.2f} / {rate(0.025, INCONCLUSIVE):.2f} / "
                       f"{rate(0.10, INCONCLUSIVE):.2f} | {statistics.fmean(d.n for d in res[0.0]):.1f} / "
                       f"{statistics.fmean(d.n for d in res[0.10]):.1f} |")
    return "\n".join(out)


def main(argv: Optional[list[str]] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--long-runs", default="bench/detection/long_runs.jsonl")
    ap.add_argument("--per-seed", default="bench/detection/dryrun_results_9seeds.jsonl")
    ap.add_argument("--three", default="bench/detection/dryrun_results.jsonl", help="3-seed records (fallback)")
    ap.add_argument("--margin", type=float, default=0.05)
    ap.add_argument("--simulate", action="store_true")
    ap.add_argument("--reps", type=int, default=4000)
    ap.add_argument("--only", nargs="*", default=None, help="simulate only policies whose name contains one of these")
    args = ap.parse_args(argv)
    if args.simulate:
        print(simulate(args.reps, only=args.only))
        return
    cases, _noise = truth(load(args.long_runs), args.margin)
    print(replay(cases, merged(load(args.per_seed), load(args.three))))


if __name__ == "__main__":
    main()
