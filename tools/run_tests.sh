#!/usr/bin/env bash
# The test command: installs into ./.venv when needed (pip output: work_dirs/install.log,
# shown only on failure), then runs the CPU test suite with pytest's progress.
set -euo pipefail
cd "$(dirname "$0")/.."
LOG=work_dirs/install.log
echo "install: yolo_toolbox and its test dependencies into .venv (pip output: $LOG)"
bash tools/misc/setup_venv.sh --log "$LOG" > /dev/null
echo "tests: .venv/bin/python -m pytest tests $*"
.venv/bin/python -m pytest tests -p no:cacheprovider "$@"
