#!/usr/bin/env bash
# tools/dist_test.sh CONFIG CHECKPOINT GPUS [args]
# torchrun with one process per GPU; on a host without CUDA, GPUS CPU
# processes over gloo (see semples_mmseg/engine/cpu_distributed.py).
# NNODES, NODE_RANK, PORT, MASTER_ADDR come from the environment;
# OMP_NUM_THREADS / OMP_WAIT_POLICY override the thread policy
# (tools/thread_policy.sh); PYTHON picks the interpreter (default: the
# project's .venv when it exists, else python from PATH; see
# tools/find_python.sh).
source "$(dirname "$0")/find_python.sh"
source "$(dirname "$0")/thread_policy.sh"
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
# OpenMP threads per process (cores / GPUS) and passive waiting, unless set
semples_thread_policy "$GPUS"

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$(dirname "$0")/test.py" \
    "$CONFIG" "$CHECKPOINT" \
    --launcher pytorch "${@:4}"
