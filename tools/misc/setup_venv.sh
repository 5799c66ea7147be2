#!/usr/bin/env bash
# Create ./.venv (if missing) and install the toolbox with its test and optional deps.
# Usage: source-free; prints the venv's python path on the last line.
set -euo pipefail
cd "$(dirname "$0")/../.."
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
