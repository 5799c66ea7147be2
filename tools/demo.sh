#!/usr/bin/env bash
# The demo: installs into ./.venv when needed, makes the synthetic VOC-layout set,
# trains a small YOLO (live progress), evaluates it (mAP) and draws predictions.
# pip's output goes to work_dirs/install.log and is shown only when the install fails.
set -euo pipefail
cd "$(dirname "$0")/.."
LOG=work_dirs/install.log
START=$(date +%s)
echo "[1/5] install: yolo_toolbox and its dependencies into .venv (pip output: $LOG)"
bash tools/misc/setup_venv.sh --log "$LOG" > /dev/null
echo "      ready ($(( $(date +%s) - START )) s)"
export DEMO_START=$START
.venv/bin/python tools/misc/run_demo.py "$@"
