#!/usr/bin/env bash
# Set up (or reuse) the environment, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup_env.sh
VENV=${VENV:-.venv}
exec "$VENV/bin/python" -m pytest tests -q -p no:cacheprovider "$@"
