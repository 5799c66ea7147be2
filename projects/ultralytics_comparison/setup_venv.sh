#!/usr/bin/env bash
# Create a venv for Ultralytics, apart from the project's (ultralytics is never a dependency
# of yolo_toolbox). Usage: bash projects/ultralytics_comparison/setup_venv.sh [VENV_DIR]
# (default /work/venv_ultra). Prints the venv's python on the last line.
# torch/torchvision are pinned to the build this machine class has on local disk; ultralytics
# to the version this comparison was written and smoke-tested with.
set -euo pipefail
VENV=${1:-/work/venv_ultra}
PYTHON_BIN=${PYTHON_BIN:-python3}
ULTRALYTICS_VERSION=${ULTRALYTICS_VERSION:-8.4.190}
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON_BIN" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import ultralytics, torch; assert ultralytics.__version__ == '$ULTRALYTICS_VERSION'" >/dev/null 2>&1; then
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q "torch==${TORCH_VERSION:-2.14.1}" \
        "torchvision==${TORCHVISION_VERSION:-0.29.1}"
    "$VENV/bin/python" -m pip install -q "ultralytics==$ULTRALYTICS_VERSION"
fi
"$VENV/bin/python" -c "import ultralytics, torch; print('ultralytics', ultralytics.__version__, 'torch', torch.__version__)"
echo "$VENV/bin/python"
