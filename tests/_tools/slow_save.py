"""Imported (``custom_imports``) by the kill-during-save test's config.

- ``SLOW_SAVE_LOG=PATH``: every atomic write appends its temporary file's name to PATH
  (which checkpoints went through :func:`atomic_write_bytes`).
- ``SLOW_SAVE_FILE=epoch_2.pth`` and ``SLOW_SAVE_MARKER=PATH``: the atomic write of that
  checkpoint stops half-way: half the bytes are written and fsynced into the temporary
  file, the marker file is created, and the process waits to be killed.

Without these variables it changes nothing.
"""
import os
import time

from yolo_toolbox.utils import atomic_checkpoint

_write_chunks = atomic_checkpoint._write_chunks


def _logged_or_slow_write(f, data, chunk_bytes):
    log = os.environ.get('SLOW_SAVE_LOG')
    if log:
        with open(log, 'a') as out:
            out.write(f.name + '\n')
    target, marker = os.environ.get('SLOW_SAVE_FILE'), os.environ.get('SLOW_SAVE_MARKER')
    if not target or not marker or f'.{target}{atomic_checkpoint.TMP_MARKER}' not in f.name:
        return _write_chunks(f, data, chunk_bytes)
    f.write(data[:len(data) // 2])
    f.flush()
    os.fsync(f.fileno())
    with open(marker, 'w') as m:
        m.write(f.name)
    time.sleep(600)  # the test kills the process here
    raise TimeoutError('nobody killed the run during the slow save')


atomic_checkpoint._write_chunks = _logged_or_slow_write
