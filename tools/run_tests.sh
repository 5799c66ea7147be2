#!/usr/bin/env bash
# The test command: installs into ./.venv when needed (pip output: work_dirs/install.log,
# shown only on failure), then runs the CPU test suite with pytest's progress.
#
# Usage: bash tools/run_tests.sh [PYTEST_ARGS...]
#   bash tools/run_tests.sh                    every test, slow ones included (what CI runs)
#   bash tools/run_tests.sh -m "not slow"      the quick loop: leaves out the tests marked
#                                              slow (training runs, end-to-end tool runs)
#   bash tools/run_tests.sh -k assigner -x     any other pytest arguments
# Two pytest processes: tests/test_tools runs apart from the rest. That was the workaround
# for a segfault (exit 139, no Python traceback) of the whole suite in one process, in a
# test there after ~500 earlier tests. Its cause is found and fixed (tests/README.md): a
# dangling alternate signal stack that OpenVINO left on the main thread when two of its
# compiled models were released first-made-first (yolo_toolbox/deployment/signal_stack.py,
# regression test tests/test_deployment/test_signal_stack.py). `python -m pytest -m "not
# slow"` passes in one process again; the split stays until the whole suite, slow tests
# included, has been run in one process too.
set -euo pipefail
cd "$(dirname "$0")/.."
LOG=work_dirs/install.log
echo "install: yolo_toolbox and its test dependencies into .venv (pip output: $LOG)"
bash tools/misc/setup_venv.sh --log "$LOG" > /dev/null
status=0
for part in "tests --ignore=tests/test_tools" "tests/test_tools"; do
    echo "tests: .venv/bin/python -m pytest $part $*"
    # shellcheck disable=SC2086  # $part is two words on purpose
    .venv/bin/python -m pytest $part -p no:cacheprovider "$@" || rc=$?
    rc=${rc:-0}
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then  # 5: no test selected in this part
        status=$rc
    fi
    unset rc
done
exit "$status"
