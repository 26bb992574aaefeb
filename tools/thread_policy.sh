# Sourced by the tools/*.sh launchers and scripts/run_demo.sh:
#   semples_thread_policy PROCS_PER_NODE [CORES]
# exports, unless the user has set them, the OpenMP policy of
# semples_mmseg/utils/thread_policy.py for PROCS_PER_NODE processes:
#   OMP_NUM_THREADS  CORES (default: the cores this shell may use, nproc)
#                    / PROCS_PER_NODE, at least 1
#   OMP_WAIT_POLICY  PASSIVE: a waiting thread sleeps instead of spinning
#                    on a core another process needs
# Set either variable to override (e.g. OMP_WAIT_POLICY=ACTIVE).
semples_thread_policy() {
  local procs=${1:-1} cores=${2:-}
  if [ -z "$cores" ]; then
    cores=$(OMP_NUM_THREADS= OMP_THREAD_LIMIT= nproc 2>/dev/null || echo 1)
  fi
  [ "$procs" -ge 1 ] 2>/dev/null || procs=1
  if [ -z "${OMP_NUM_THREADS:-}" ]; then
    local threads=$(( cores / procs ))
    export OMP_NUM_THREADS=$(( threads > 0 ? threads : 1 ))
  fi
  export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
}
