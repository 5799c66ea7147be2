#!/usr/bin/env bash
# The test command: installs into ./.venv when needed, then runs the CPU test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/misc/setup_venv.sh >/dev/null
.venv/bin/python -m pytest tests -p no:cacheprovider "$@"
