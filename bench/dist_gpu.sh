#!/usr/bin/env bash
# NOT YET RUN: awaits a GPU. The 2-stage XL distributed dry-run on one GPU under FSDP2, as one
# prepared script that fits a 15-minute device slot (ISSUE 11). It writes
# bench/results/dist-gpu-<date>.md with the command, the device, the verdict, the phase times
# and the dry-run findings, plus the JSON report next to it.
#
#   bash bench/dist_gpu.sh            # from the repository root, in the dry-run environment
#
# Budget: the full-scale XL build + 10 smoke steps at the configured batch; --time-budget 600
# stops it (HNL815, never a pass) and the launcher's timeout adds 120 s, so the whole script
# ends within ~13 minutes even when something hangs.
set -euo pipefail
cd "$(dirname "$0")/.."
python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device: this benchmark needs a GPU')"
DATE=$(date -u +%Y-%m-%d)
OUT=bench/results/dist-gpu-$DATE
CONFIG=examples/recommended.yaml        # 2-stage XL, fp32 storage under bf16 autocast
CMD=(python -m hnet_lint "$CONFIG" --dry-run --device cuda --nproc 1 --engine fsdp2
     --smoke-steps 10 --time-budget 600 --format json --report "$OUT.json")
start=$(date +%s)
set +e
"${CMD[@]}" > "$OUT.findings.json" 2> "$OUT.stderr.txt"
rc=$?
set -e
end=$(date +%s)
python - "$OUT" "$rc" "$((end - start))" "${CMD[*]}" <<'PY'
import json, sys, torch
out, rc, wall, cmd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
res = json.load(open(out + ".json"))["results"][0]
rows = [f"| {f['code']} | {f['severity']} | {f['phase']} | {f['message'][:160]} |"
        for f in res["findings"]]
verdict = [l for l in open(out + ".stderr.txt") if l.startswith(("PASS", "WARN", "FAIL", "INCONCLUSIVE"))]
text = "\n".join([
    "# Distributed dry-run on a GPU", "",
    f"Command: `{cmd}` (exit {rc}, {wall} s wall including the launch)",
    f"Device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}", "",
    f"Verdict: {verdict[-1].strip() if verdict else '(none printed)'}", "",
    "Phase times (s): " + ", ".join(f"{k} {v}" for k, v in res["timings_s"].items()),
    f"Scale: {res['info'].get('scale')}, params {res['info'].get('param_count')}, "
    f"engine {res['info'].get('engine')} x {res['info'].get('world_size')}", "",
    "| code | severity | phase | message |", "|---|---|---|---|", *rows, ""])
open(out + ".md", "w").write(text)
print(text)
PY
