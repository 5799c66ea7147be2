#!/usr/bin/env bash
# The test command: installs into ./.venv when needed (pip output: work_dirs/install.log,
# shown only on failure), then runs the CPU test suite with pytest's progress.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p work_dirs
LOG=work_dirs/install.log
echo "install: yolo_toolbox and its test dependencies into .venv (pip output: $LOG)"
if ! bash tools/misc/setup_venv.sh > "$LOG" 2>&1; then
    echo "install FAILED; the end of $LOG:" >&2
    tail -n 40 "$LOG" >&2
    exit 1
fi
echo "tests: .venv/bin/python -m pytest tests $*"
.venv/bin/python -m pytest tests -p no:cacheprovider "$@"
