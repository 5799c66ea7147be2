#!/usr/bin/env bash
# Create ./.venv (if missing) and install the toolbox with its test and optional deps.
# Usage: bash tools/misc/setup_venv.sh [--log FILE]; prints the venv's python path on the
# last line. With --log, pip's output goes to FILE and its end is printed only when the
# install fails (tools/demo.sh and tools/run_tests.sh use this).
set -euo pipefail
SCRIPT="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/../.."
if [ "${1:-}" = "--log" ]; then
    LOG=${2:?--log needs a file}
    mkdir -p "$(dirname "$LOG")"
    if ! bash "$SCRIPT" > "$LOG" 2>&1; then
        echo "install FAILED; the end of $LOG:" >&2
        tail -n 40 "$LOG" >&2
        exit 1
    fi
    tail -n 1 "$LOG"
    exit 0
fi
PYTHON_BIN=${PYTHON_BIN:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON_BIN" -m venv .venv
fi
if ! .venv/bin/python -c "import yolo_toolbox, torch, torchvision, mmengine, mmcv, pytest" >/dev/null 2>&1; then
    .venv/bin/python -m pip install -q --upgrade pip
    # torch first, pinned to the build this machine class has on disk (CPU or CUDA both run)
    .venv/bin/python -m pip install -q "torch==${TORCH_VERSION:-2.14.1}" \
        "torchvision==${TORCHVISION_VERSION:-0.29.1}"
    .venv/bin/python -m pip install -q -e ".[all]"
fi
echo "$(pwd)/.venv/bin/python"
