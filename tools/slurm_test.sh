#!/usr/bin/env bash
# tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [args]
# GPUS, GPUS_PER_NODE, CPUS_PER_TASK, SRUN_ARGS come from the environment;
# OMP_NUM_THREADS / OMP_WAIT_POLICY override the thread policy
# (tools/thread_policy.sh); PYTHON picks the interpreter (default: the
# project's .venv when it exists, else python from PATH; see
# tools/find_python.sh).
source "$(dirname "$0")/find_python.sh"
source "$(dirname "$0")/thread_policy.sh"
set -x
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
# OpenMP threads per task (CPUS_PER_TASK) and passive waiting, unless set
semples_thread_policy 1 "$CPUS_PER_TASK"

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
srun -p "${PARTITION}" \
    --job-name="${JOB_NAME}" \
    --gres=gpu:"${GPUS_PER_NODE}" \
    --ntasks="${GPUS}" \
    --ntasks-per-node="${GPUS_PER_NODE}" \
    --cpus-per-task="${CPUS_PER_TASK}" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "$PYTHON" -u "$(dirname "$0")/test.py" "${CONFIG}" \
    "${CHECKPOINT}" --launcher="slurm" "${@:5}"
