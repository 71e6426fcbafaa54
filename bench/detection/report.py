"""The detection table: ground truth from the long runs vs the dry-run's verdicts and baselines.

    python -m bench.detection.report [--margin 0.05] [--out bench/results/detection-DATE.md]

Ground truth (per case, over its long-run seeds; see ``label.py``):

* **diverged**: any seed went non-finite;
* **too high**: the base LR is above the family's best (lowest seed-mean final held-out loss)
  and the case's seed-mean final loss is worse than the best by more than ``--margin`` nats;
  a run that ends above its own end-of-warmup loss also counts;
* **too low**: below the best LR and worse by more than the margin (not the LR edge's business);
* **ok** otherwise.

The LR-edge verdict is scored on "diverged or too high" (positives) against the rest, on the
cases whose probe ran (bf16 storage stops the dry-run at HNL803 first, by design). An
inconclusive verdict (HNL816) is not a flag; its rate is reported separately, and a row that
counts it as a flag is shown too. The exact checks are scored on the faults each case carries
by construction.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections import defaultdict

LR_EDGE_ROWS = ["HNL807 (3-seed decision)", "HNL807 or HNL816 (inconclusive as flag)",
                "1-seed gap > margin (old rule, no 'rising')", "static HNL206", "static HNL204",
                "LR > 1x family best", "LR > 2x family best", "LR > 4x family best", "always warn"]
EXACT = ["HNL802", "HNL803", "HNL804", "HNL805", "HNL806", "HNL812"]


def load(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def truth(long_runs: list[dict], margin: float) -> tuple[dict[str, dict], dict]:
    by_case: dict[str, list[dict]] = defaultdict(list)
    seen = set()
    for r in long_runs:  # two workers may both have run a (case, seed): keep the first
        if (r["case"], r["seed"]) not in seen:
            seen.add((r["case"], r["seed"]))
            by_case[r["case"]].append(r)
    cases = {}
    for name, runs in by_case.items():
        finals = [r["eval_final"] for r in runs if r["diverged_at"] is None]
        worse = any(r["eval_final"] is not None and r["eval_warmup_end"] is not None
                    and r["eval_final"] > r["eval_warmup_end"] for r in runs)
        cases[name] = {"family": runs[0]["family"], "lr": runs[0]["lr"], "seeds": len(runs),
                       "x": runs[0].get("peak", runs[0]["lr"]),  # orders a family (a multiplier sweep: the peak)
                       "finals": finals, "diverged": len(finals) < len(runs), "worse_than_warmup": worse,
                       "mean": statistics.fmean(finals) if finals else math.inf}
    best: dict[str, tuple[float, float]] = {}
    for c in cases.values():
        if c["family"] not in best or c["mean"] < best[c["family"]][0]:
            best[c["family"]] = (c["mean"], c["x"], c["lr"])
    for c in cases.values():
        b, bx, c["best_lr"] = best[c["family"]]
        c["best_x"], c["regret"] = bx, c["mean"] - b
        if c["diverged"]:
            c["label"] = "diverged"
        elif c["worse_than_warmup"] or (c["x"] > bx and c["regret"] > margin):
            c["label"] = "too high"
        elif c["x"] < bx and c["regret"] > margin:
            c["label"] = "too low"
        else:
            c["label"] = "ok"
    sds = [statistics.stdev(c["finals"]) for c in cases.values() if len(c["finals"]) >= 2]
    pooled = math.sqrt(statistics.fmean([s * s for s in sds])) if sds else float("nan")
    n = statistics.median([len(c["finals"]) for c in cases.values()]) if cases else 1
    noise = {"pooled_seed_sd": pooled, "seeds_per_case": n,
             "regret_se": pooled * math.sqrt(2 / n) if sds else float("nan")}
    return cases, noise


def _scores(pred: list[bool], gold: list[bool]) -> dict:
    tp = sum(p and g for p, g in zip(pred, gold))
    fp = sum(p and not g for p, g in zip(pred, gold))
    fn = sum(g and not p for p, g in zip(pred, gold))
    tn = sum(not p and not g for p, g in zip(pred, gold))
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "precision": tp / (tp + fp) if tp + fp else float("nan"),
            "recall": tp / (tp + fn) if tp + fn else float("nan"),
            "false_alarm": fp / (fp + tn) if fp + tn else float("nan")}


def lr_edge_table(cases: dict, dry: dict) -> tuple[list[tuple[str, dict]], dict]:
    names = [n for n in cases if n in dry and dry[n].get("outcome") is not None]
    gold = [cases[n]["label"] in ("diverged", "too high") for n in names]
    rows = []
    for row in LR_EDGE_ROWS:
        pred = []
        for n in names:
            d, c = dry[n], cases[n]
            codes = d.get("codes", {})
            if row.startswith("HNL807 ("):
                p = "HNL807" in codes
            elif row.startswith("HNL807 or"):
                p = "HNL807" in codes or "HNL816" in codes
            elif row.startswith("1-seed"):
                p = bool(d["gaps"]) and d["gaps"][0] > 0.05
            elif row.startswith("static"):
                p = row.split()[-1] in d.get("static", [])
            elif row.startswith("LR >"):
                k = float(row.split()[2].rstrip("x"))
                p = c["x"] > k * c["best_x"] * (1 + 1e-9)
            else:
                p = True
            pred.append(p)
        rows.append((row, _scores(pred, gold)))
    inconclusive = sum(dry[n]["outcome"] == "inconclusive" for n in names)
    return rows, {"n": len(names), "positives": sum(gold), "inconclusive": inconclusive}


def per_code_table(cases: dict, dry: dict) -> list[tuple[str, dict]]:
    """Every dry-run code that fired, scored against the LR-edge label (cases whose probe ran),
    and overall: any warning or error vs "too high, diverged or carrying an exact fault"."""
    names = [n for n in cases if n in dry]
    gold = [cases[n]["label"] in ("diverged", "too high") for n in names]
    codes = sorted({c for n in names for c in dry[n].get("codes", {})} - {"HNL811", "HNL814"})
    rows = [(f"{c} ({'any severity' if c == 'HNL816' else 'fired'})",
             _scores([c in dry[n].get("codes", {}) for n in names], gold)) for c in codes]
    overall_gold = [g or bool(dry[n].get("exact_expected")) for n, g in zip(names, gold)]
    overall = [any(v in ("warning", "error") for v in dry[n].get("codes", {}).values()) for n in names]
    rows.append(("overall: any warning or error vs too high / diverged / exact fault", _scores(overall, overall_gold)))
    return rows


def exact_table(dry_all: list[dict]) -> list[tuple[str, dict]]:
    rows = []
    for code in EXACT:
        gold = [code in d.get("exact_expected", []) for d in dry_all]
        pred = [code in d.get("codes", {}) for d in dry_all]
        rows.append((code, _scores(pred, gold)))
    return rows


def _f(x: float, digits: int = 2) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def render(cases: dict, noise: dict, dry_all: list[dict], margin: float) -> str:
    dry = {d["case"]: d for d in dry_all}
    out = [f"# Dry-run detection benchmark ({time.strftime('%Y-%m-%d')})", "",
           "Regenerate (slow; one core each, run once in the background):", "",
           "```", "nice -n 10 python -m bench.detection.label --seeds 0 1 2   # long runs -> long_runs.jsonl",
           "nice -n 10 python -m bench.detection.run_dryrun             # dry-run + static -> dryrun_results.jsonl",
           f"python -m bench.detection.report --margin {margin:g} --out bench/results/detection-DATE.md", "```", "",
           f"Ground truth: 1,000-step runs (configured schedule, batch 2x2x64, held-out eval 16x4x64), "
           f"{noise['seeds_per_case']:g} seeds per case. Label *too high*: LR above the family's best and seed-mean "
           f"final eval worse by more than {margin:g} nats (or ending above its end-of-warmup eval); *diverged*: "
           f"any seed non-finite. Seed noise: pooled per-run sd of the final eval {noise['pooled_seed_sd']:.3f} nats, "
           f"so the se of a seed-mean regret is about {noise['regret_se']:.3f}: the margin is "
           f"{margin / noise['regret_se']:.1f} se." if noise["regret_se"] == noise["regret_se"] else "", ""]
    rows, meta = lr_edge_table(cases, dry)
    out += [f"## LR-edge verdict ({meta['n']} cases where the probe ran, {meta['positives']} positive; "
            f"the dry-run said inconclusive on {meta['inconclusive']})", "",
            "| rule | TP | FP | FN | TN | precision | recall | false-alarm rate |", "|---|---|---|---|---|---|---|---|"]
    for name, s in rows:
        out.append(f"| {name} | {s['tp']} | {s['fp']} | {s['fn']} | {s['tn']} | {_f(s['precision'])} | "
                   f"{_f(s['recall'])} | {_f(s['false_alarm'])} |")
    out += ["", "The `LR > k x family best` rows need the long runs to know the best LR: they are an oracle "
            "baseline, not something a linter can compute.", "",
            f"## Every dry-run finding against the LR-edge label ({len([n for n in cases if n in dry])} cases)", "",
            "| finding | TP | FP | FN | TN | precision | recall | false-alarm rate |", "|---|---|---|---|---|---|---|---|"]
    for name, s in per_code_table(cases, dry):
        out.append(f"| {name} | {s['tp']} | {s['fp']} | {s['fn']} | {s['tn']} | {_f(s['precision'])} | "
                   f"{_f(s['recall'])} | {_f(s['false_alarm'])} |")
    out += ["", "HNL803, HNL806 and HNL812 are exact checks of faults unrelated to the LR edge: they are "
            "scored on their own below; the overall row counts them as faults.", "",
            f"## Exact checks ({len(dry_all)} cases incl. inspect-only faults)", "",
            "| code | TP | FP | FN | TN | recall | false-alarm rate |", "|---|---|---|---|---|---|---|"]
    for name, s in exact_table(dry_all):
        out.append(f"| {name} | {s['tp']} | {s['fp']} | {s['fn']} | {s['tn']} | {_f(s['recall'])} | "
                   f"{_f(s['false_alarm'])} |")
    walls = [d["wall"] for d in dry_all if d.get("family") != "inspect" and "wall" in d]
    if walls:
        out += ["", f"Default dry-run wall time per case (tiny proxy, 1 thread, shared machine): median "
                f"{statistics.median(walls):.1f} s, max {max(walls):.1f} s.", ""]
    out += ["## Cases", "", "| case | LR | seeds' final eval | regret | label | dry-run outcome | gap mean +- se "
            "(per seed) | attn median | dry-run codes | static |", "|---|---|---|---|---|---|---|---|---|---|"]
    for name, c in sorted(cases.items(), key=lambda kv: (kv[1]["family"], kv[1]["x"])):
        d = dry.get(name, {})
        gap = (f"{d['mean']:+.3f} +- {d['se']:.3f} ({', '.join(f'{g:+.2f}' for g in d['gaps'])})"
               if d.get("mean") is not None else "-")
        codes = ", ".join(f"{k}({v[0]})" for k, v in sorted(d.get("codes", {}).items()) if k not in ("HNL811", "HNL814"))
        out.append(f"| {name} | {c['lr']:g} | {', '.join(f'{x:.3f}' for x in c['finals']) or 'NaN'} | "
                   f"{c['regret']:+.3f} | {c['label']} | {d.get('outcome') or 'probe not run'} | {gap} | "
                   f"{_f(d.get('attn_median'), 0)} | {codes} | {', '.join(d.get('static', []))} |")
    return "\n".join(out) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--long-runs", default="bench/detection/long_runs.jsonl")
    ap.add_argument("--dryrun", default="bench/detection/dryrun_results.jsonl")
    ap.add_argument("--margin", type=float, default=0.05)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    cases, noise = truth(load(args.long_runs), args.margin)
    text = render(cases, noise, load(args.dryrun), args.margin)
    print(text)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
