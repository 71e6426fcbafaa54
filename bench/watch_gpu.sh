#!/usr/bin/env bash
# Watch JohannesWesch/hierarchical-hnet's own scripts/train.py (HEAD) for 20 optimizer steps with
# the real kernels under torchrun, unchanged, and compare it with its hyperparams.json.
#
# Needs a GPU machine with: a checkout of hierarchical-hnet at HHNET_DIR whose environment
# (mamba-ssm, flash-attn, its data) trains as is, and hnet-lint installed in that environment
# (`pip install -e /path/to/hnet-lint[dry-run]`). Writes bench/results/watch-gpu-<date>.{txt,json}.
#
#   HHNET_DIR=/path/to/hierarchical-hnet NPROC=1 CONFIG=2stage_L bash bench/watch_gpu.sh
#
# Not run yet: no GPU was lent to the session that wrote it (2026-12-06).
set -euo pipefail
: "${HHNET_DIR:?set HHNET_DIR to a hierarchical-hnet checkout}"
NPROC="${NPROC:-1}"
CONFIG="${CONFIG:-2stage_L}"
HERE="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$HERE/bench/results/watch-gpu-$(date +%F)"
cd "$HHNET_DIR"
# the trainer's own launcher turns the JSON into shell variables, as its cluster scripts do
# shellcheck disable=SC1091
source training_configs/load_hyperparams.sh
load_hyperparams "training_configs/$CONFIG/hyperparams.json"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader > "$OUT.device.txt"
hnet-lint watch --steps 20 --record "$OUT.records" --step-timeout 900 \
    --config "training_configs/$CONFIG/hyperparams.json" --format json -- \
    python -m torch.distributed.run --standalone --nproc-per-node "$NPROC" scripts/train.py \
    --distributed --config-path "$MODEL_CONFIG" --output-dir "$(mktemp -d)" \
    --learning-rate "$LEARNING_RATE" --lr-multipliers "$LR_MULTIPLIERS" \
    --max-grad-norm "$MAX_GRAD_NORM" --batch-size "$BATCH_SIZE" \
    --gradient-accumulation-steps "$GRADIENT_ACCUMULATION_STEPS" --max-seq-length "$MAX_SEQ_LENGTH" \
    --num-training-steps "$NUM_TRAINING_STEPS" --dtype "$DTYPE" --backend nccl \
    > "$OUT.json" || true   # exit 1 means findings; the trainer's own output goes to the terminal
echo "results: $OUT.json (records in $OUT.records)"
