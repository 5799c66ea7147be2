#!/usr/bin/env bash
# The demo: installs into ./.venv when needed, makes the synthetic VOC-layout set,
# trains a small YOLO, evaluates it (mAP) and draws predictions on test images.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/misc/setup_venv.sh >/dev/null
.venv/bin/python tools/misc/run_demo.py "$@"
