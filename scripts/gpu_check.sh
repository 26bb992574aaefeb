#!/usr/bin/env bash
# Everything a GPU should check, in one command (docs/GPU.md): reuse or set up
# the environment, run the CUDA tests (`pytest -m cuda`), then benchmark the
# training step of stages 1-3 at the real VOC shapes (configs/semples/
# weaktr_voc.py: WeakTr DeiT-S + CLIP ViT-B/32, the config's per-GPU batch,
# random weights) in fp32 and AMP (fp16, bf16), and print ONE table (step
# time, images/s, peak GPU memory, CLIP image-encoder share, data loading per
# worker, workers per GPU needed, projected 60-epoch stage on VOC train_aug
# at the config's GPU count), also written to $OUT/table.md.
# Budget: under 6 minutes on one datacenter GPU (torch wheels cached).
#
#   VENV        environment; reused as it is when $VENV/bin/python exists,
#               else made by scripts/setup_env.sh          (default: .venv)
#   OUT         where the table and the logs go     (work_dirs/gpu_check)
#   DEVICE      cuda | cpu (a dry run of this script: CPU autocast instead
#               of AmpOptimWrapper, with a tiny CONFIG)        (cuda)
#   CONFIG      benchmark config           (configs/semples/weaktr_voc.py)
#   STAGES      stages to benchmark                            ("1 2 3")
#   PRECISIONS  fp32 and / or AMP dtypes                 ("fp32 fp16 bf16")
#   ROUNDS / WARMUP  timed / warm-up steps per row                (10 / 3)
#   SIZE        input side                                         (224)
#   TESTS       what `pytest -m cuda` collects from              (tests)
#   BENCH_ARGS  more benchmark_semples.py arguments (e.g. "--gpus 4")
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
OUT=${OUT:-work_dirs/gpu_check}
DEVICE=${DEVICE:-cuda}
CONFIG=${CONFIG:-configs/semples/weaktr_voc.py}
STAGES=${STAGES:-1 2 3}
PRECISIONS=${PRECISIONS:-fp32 fp16 bf16}
ROUNDS=${ROUNDS:-10}
WARMUP=${WARMUP:-3}
SIZE=${SIZE:-224}
TESTS=${TESTS:-tests}
BENCH_ARGS=${BENCH_ARGS:-}
start=$(date +%s)

if [ -x "$VENV/bin/python" ]; then
  echo "[gpu_check] reusing $VENV"
else
  VENV="$VENV" bash scripts/setup_env.sh
fi
PY="$VENV/bin/python"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # this checkout's package

if [ "$DEVICE" = cuda ] &&
   ! "$PY" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())'; then
  echo "[gpu_check] torch.cuda.is_available() is False on this host: no GPU" \
       "to check (DEVICE=cpu runs a dry run of this script)" >&2
  exit 1
fi
machine=$("$PY" -c "
import torch
gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'no GPU'
print(f'torch {torch.__version__}, CUDA {torch.version.cuda}, {gpu}')")
echo "[gpu_check] $machine"

echo "[gpu_check] pytest -m cuda ($TESTS)"
"$PY" -m pytest $TESTS -m cuda -q -rs -p no:cacheprovider

mkdir -p "$OUT"
table="$OUT/table.md"
{
  echo "# scripts/gpu_check.sh, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "$machine; $CONFIG, random weights, $ROUNDS timed steps after" \
       "$WARMUP warm-up per row (median); the projection counts training" \
       "steps only"
  echo
} > "$table"
bf16_ok=$("$PY" -c "
import torch
print(int('$DEVICE' != 'cuda' or torch.cuda.is_bf16_supported()))")
for stage in $STAGES; do
  for precision in $PRECISIONS; do
    if [ "$precision" = bf16 ] && [ "$bf16_ok" = 0 ]; then
      echo "[gpu_check] stage $stage bf16: skipped, this GPU has no bf16"
      continue
    fi
    amp=()
    [ "$precision" != fp32 ] && amp=(--amp "$precision")
    log="$OUT/stage${stage}_${precision}.log"
    echo "[gpu_check] benchmark stage $stage $precision (log: $log)"
    # shellcheck disable=SC2086
    if ! "$PY" tools/analysis_tools/benchmark_semples.py "$CONFIG" \
        --stage "$stage" --device "$DEVICE" --formulations ours \
        --rounds "$ROUNDS" --warmup "$WARMUP" --size "$SIZE" \
        ${amp[@]+"${amp[@]}"} --table-out "$table" $BENCH_ARGS \
        > "$log" 2>&1; then
      tail -n 40 "$log" >&2
      echo "[gpu_check] benchmark stage $stage $precision failed" >&2
      exit 1
    fi
  done
done
echo
cat "$table"
echo
echo "[gpu_check] table written to $table ($(( $(date +%s) - start )) s)"
