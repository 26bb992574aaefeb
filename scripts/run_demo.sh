#!/usr/bin/env bash
# Set up (or reuse) the environment, then the CPU demo of
# projects/cooccur_demo: the co-occurrence world, the toy CLIP (cached in
# ~/.cache/semples_mmseg), the WeakTr baseline and the three SemPLeS stages;
# results in work_dirs/cooccur/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
# OpenMP threads = the usable cores, passive waiting: unless set
# (OMP_NUM_THREADS / OMP_WAIT_POLICY override; tools/thread_policy.sh)
source tools/thread_policy.sh
semples_thread_policy 1
VENV=${VENV:-.venv}
exec "$VENV/bin/python" projects/cooccur_demo/tools/run_demo.py "$@"
