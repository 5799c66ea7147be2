"""Checkpoints that survive a kill: atomic writes and an auto-resume that skips bad files.

mmengine writes a checkpoint by opening the final path and writing into it, so a run
killed during a save leaves a truncated ``epoch_N.pth`` that ``last_checkpoint`` already
names, and ``--resume`` then dies in ``torch.load``. Two remedies, both in one place:

- :class:`AtomicLocalBackend` is mmengine's ``LocalBackend`` whose ``put`` / ``put_text``
  write into a temporary file in the target's folder, flush and fsync it, then
  ``os.replace`` it onto the target: a reader sees the old file or the whole new one,
  never a part. It is registered as the file backend ``'atomic_local'`` (a new name: the
  ``local`` backend of every other file stays mmengine's) and chosen in the config, where
  it shows: ``default_hooks.checkpoint.backend_args=dict(backend='atomic_local')``
  (``configs/_base_/default_runtime.py``). ``CheckpointHook`` passes its
  ``backend_args`` to ``Runner.save_checkpoint`` for the epoch / iteration and best
  checkpoints, which ends in ``get_file_backend(path, backend_args).put(bytes, path)``.
- :func:`find_resumable_checkpoint` picks the checkpoint ``--resume`` (auto) continues
  from: the one ``last_checkpoint`` names if it loads, else the newest other one in the
  work dir that loads, with a note per file it skipped and why.
"""
import glob
import os
import os.path as osp
import tempfile
from typing import List, Optional, Tuple, Union

import torch
from mmengine.fileio import LocalBackend, register_backend
from mmengine.fileio.backends import backends as _mmengine_backends

#: temporary files are ``.<name>.tmp-<random>`` next to ``<name>``; a kill leaves one behind
TMP_MARKER = '.tmp-'
_UMASK = os.umask(0o022)  # read the process umask (and put it back) once, at import
os.umask(_UMASK)


def temporary_path_pattern(path: str) -> str:
    """Glob pattern of the temporary files an interrupted atomic write of ``path`` leaves."""
    folder, name = osp.split(path)
    return osp.join(folder, f'.{name}{TMP_MARKER}*')


def atomic_write_bytes(data: Union[bytes, memoryview], path: str,
                       chunk_bytes: int = 64 << 20) -> None:
    """Write ``data`` to ``path`` so that ``path`` is never seen half-written.

    The bytes go to a temporary file in the same folder (same file system, so the final
    rename is atomic), are flushed and fsynced, and the file is renamed onto ``path``
    with ``os.replace``; the folder is fsynced too, so the rename survives a power cut.
    If anything fails, the temporary file is removed and ``path`` is left as it was.

    Args:
        data: the file's content.
        path: the destination; its folder is created if needed.
        chunk_bytes: bytes per ``write`` call (64 MiB).
    """
    folder, name = osp.split(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(prefix=f'.{name}{TMP_MARKER}', dir=folder)
    os.close(fd)
    try:
        with open(tmp_path, 'wb') as f:
            _write_chunks(f, memoryview(data), chunk_bytes)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; open() would not
        os.replace(tmp_path, path)
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise
    _fsync_folder(folder)


def _write_chunks(f, data: memoryview, chunk_bytes: int) -> None:
    for start in range(0, len(data), chunk_bytes):
        f.write(data[start:start + chunk_bytes])


def _fsync_folder(folder: str) -> None:
    if not hasattr(os, 'O_DIRECTORY'):  # Windows: renames are not fsync-able
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError:  # some network file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


#: the name to choose it by: ``backend_args=dict(backend='atomic_local')``
ATOMIC_BACKEND = 'atomic_local'


class AtomicLocalBackend(LocalBackend):
    """mmengine's ``LocalBackend`` whose ``put`` (bytes, used for checkpoints) and
    ``put_text`` are atomic (:func:`atomic_write_bytes`). Reading, listing and removing
    are unchanged. Registered as the file backend ``'atomic_local'``; a config chooses it
    with ``backend_args=dict(backend='atomic_local')``."""

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        atomic_write_bytes(obj, str(filepath))

    def put_text(self, obj: str, filepath: Union[str, os.PathLike],
                 encoding: str = 'utf-8') -> None:
        atomic_write_bytes(obj.encode(encoding), str(filepath))


if ATOMIC_BACKEND not in _mmengine_backends:  # a new name, like registering a module
    register_backend(ATOMIC_BACKEND, AtomicLocalBackend)


# ---------------------------------------------------------------- auto resume
def checkpoint_problem(path: str, need_optimizer: bool = False) -> Optional[str]:
    """Why the checkpoint at ``path`` cannot be resumed from, or ``None`` if it can.

    Loads the file with ``torch.load(weights_only=True)`` (the allow-list of
    ``yolo_toolbox.utils.weights_only_allowlist``), as the runner will, and checks that it has
    ``meta`` (with ``epoch`` and ``iter``) and ``state_dict``; with ``need_optimizer``
    also ``optimizer`` (best checkpoints have none: resuming from one would silently
    restart the optimizer's moments).
    """
    if not osp.isfile(path):
        return 'file does not exist'
    if osp.getsize(path) == 0:
        return 'file is empty (0 bytes)'
    try:
        ckpt = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as e:  # truncated zip, foreign pickle, ...
        first_line = (str(e).strip().splitlines() or [''])[0]
        return f'cannot be loaded ({type(e).__name__}: {first_line[:160]})'
    if not isinstance(ckpt, dict) or 'state_dict' not in ckpt:
        return 'has no state_dict (not a training checkpoint)'
    meta = ckpt.get('meta')
    if not isinstance(meta, dict) or 'epoch' not in meta or 'iter' not in meta:
        return 'has no meta epoch / iter (not a training checkpoint)'
    if need_optimizer and 'optimizer' not in ckpt:
        return 'has no optimizer state (a best or published checkpoint)'
    return None


def find_resumable_checkpoint(work_dir: str) -> Tuple[Optional[str], List[str]]:
    """The checkpoint an automatic ``--resume`` continues from, and what was skipped.

    Candidates, in order: the file named in ``work_dir/last_checkpoint``; then the other
    ``*.pth`` files of ``work_dir`` (and of that file's folder, if the checkpoint hook
    writes elsewhere) except ``best_*``, newest (mtime) first. The first one that
    :func:`checkpoint_problem` accepts wins; the named one needs no optimizer state (as
    mmengine's own auto-resume), the others do.

    Returns:
        ``(path or None, notes)``: ``None`` when the work dir has no checkpoint at all
        (training starts from scratch, as mmengine does; a note says so); ``notes`` has
        one line per skipped file (and per temporary file an interrupted save left).

    Raises:
        RuntimeError: there are checkpoints but none loads; the message lists each with
            its problem.
    """
    notes: List[str] = []
    named = None
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip() or None
        if named is None:
            notes.append(f'{pointer} is empty (the run was killed while writing it)')
    folders = list(dict.fromkeys(osp.abspath(d) for d in
                                 [work_dir] + ([osp.dirname(named)] if named else []) if d))
    others = {p for folder in folders for p in glob.glob(osp.join(folder, '*.pth'))
              if not osp.basename(p).startswith('best_')}
    for folder in folders:
        for tmp in sorted(glob.glob(osp.join(folder, f'.*.pth{TMP_MARKER}*'))):
            notes.append(f'ignored {tmp}: a partial checkpoint left by a run killed during '
                         'a save (safe to delete)')
    if named:
        others = {p for p in others if not _same_file(p, named)}
    candidates = ([named] if named else []) + sorted(
        others, key=lambda p: (os.stat(p).st_mtime_ns, p), reverse=True)
    tried = []
    for i, path in enumerate(candidates):
        problem = checkpoint_problem(path, need_optimizer=i > 0 or named is None)
        if problem is None:
            return path, notes
        tried.append(f'{path}: {problem}')
        notes.append(f'skipped checkpoint {path}: {problem}')
    if tried:
        raise RuntimeError(
            f'--resume: no checkpoint in {work_dir} can be resumed from:\n  '
            + '\n  '.join(tried) + '\nDelete them to train from scratch, or give one with '
            '--resume PATH.')
    notes.append(f'no checkpoint in {work_dir}: training starts from scratch')
    return None, notes


def _same_file(a: str, b: str) -> bool:
    try:
        return osp.samefile(a, b)
    except OSError:  # one of them does not exist
        return osp.abspath(a) == osp.abspath(b)
