#!/usr/bin/env bash
# Build onedl-mmcv with its compiled ops (mmcv._ext) as a wheel, for the
# Python environment that will run it (its torch is compiled against).
#
#   PYTHON        the environment's interpreter  (default: the project's
#                 .venv, else python from PATH: tools/find_python.sh)
#   MMCV_VERSION  the onedl-mmcv source release        (default: 2.3.6)
#   WHEEL_DIR     where the wheel is kept              (default: ./wheels)
#   MAX_JOBS      parallel compile jobs                (default: nproc)
#
# The ops are what mmdet's Mask2Former pixel decoder needs
# (mmcv.ops.MultiScaleDeformableAttention); the PyPI wheels of onedl-mmcv
# ship without them. The CPU ops are always built; where torch sees a GPU
# (or FORCE_CUDA=1) the CUDA ops too, which needs nvcc. torch 2.14's headers
# need C++20, while onedl-mmcv 2.3.6's setup.py asks for C++14 / C++17: the
# flags are raised to C++20 in the unpacked source before building.
# Measured (onedl-mmcv 2.3.6, torch 2.14.1, CPU ops: 78 compile units, a
# 32 MB wheel): 40 CPU-minutes (38.8 user + 1.5 system), i.e. about 20 min
# on 2 idle cores; on 2 cores shared at load average 5-15 under nice 15 it
# took 149 min. Then install the wheel and mmdet:
#   $PYTHON -m pip install --force-reinstall --no-deps "$WHEEL_DIR"/onedl_mmcv-*.whl
#   $PYTHON -m pip install onedl-mmdetection==3.5.1
set -euo pipefail
source "$(dirname "$0")/../tools/find_python.sh"
PY=$PYTHON
VERSION=${MMCV_VERSION:-2.3.6}
WHEEL_DIR=$(realpath -m "${WHEEL_DIR:-wheels}")
export MAX_JOBS=${MAX_JOBS:-$(nproc)}

"$PY" -c 'import torch' 2>/dev/null ||
  { echo "$PY has no torch: install torch first (the ops are built against it)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$WHEEL_DIR"
"$PY" -m pip install -q 'setuptools>=80' wheel 'packaging>=24.2'
"$PY" -m pip download -q --no-deps --no-binary :all: \
  "onedl-mmcv==$VERSION" -d "$work"
tar xzf "$work"/onedl_mmcv-"$VERSION".tar.gz -C "$work"
src="$work/onedl_mmcv-$VERSION"
sed -i -e "s/-std=c++14/-std=c++20/g" -e "s/-std=c++17/-std=c++20/g" "$src/setup.py"
echo "[build_mmcv_ops] compiling mmcv._ext with $MAX_JOBS job(s); this takes a while"
start=$(date +%s)
(cd "$src" && MMCV_WITH_OPS=1 "$PY" -m pip wheel --no-build-isolation \
  --no-deps -w "$WHEEL_DIR" .)
echo "[build_mmcv_ops] built in $(( ($(date +%s) - start) / 60 )) min:" \
  "$(ls "$WHEEL_DIR"/onedl_mmcv-"$VERSION"-*.whl)"
