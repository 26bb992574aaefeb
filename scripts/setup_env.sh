#!/usr/bin/env bash
# Create (or reuse) the virtual environment and install semples_mmseg into it.
#   VENV     where the environment lives         (default: ./.venv)
#   STACK    onedl (maintained forks) | classic  (default: onedl)
# Re-running is cheap: nothing is reinstalled unless setup.py or this file changed.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
STACK=${STACK:-onedl}
PY=${PYTHON:-python3}

if [ ! -x "$VENV/bin/python" ]; then
  echo "[setup] creating virtual environment in $VENV"
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.semples_stamp"
want="$(cat setup.py scripts/setup_env.sh | sha1sum | cut -d' ' -f1)-$STACK"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup] installing torch and the $STACK OpenMMLab stack into $VENV (about 2-3 minutes)"
  # (pip's notes about this machine's absent local index folders are dropped)
  { "$VENV/bin/pip" install -q torch==2.14.1 torchvision==0.29.1 &&
    "$VENV/bin/pip" install -q -e ".[$STACK,tests]"; } 2>&1 |
    { grep -v '^WARNING: Location' || true; }
  echo "$want" > "$stamp"
else
  echo "[setup] reusing $VENV"
fi
