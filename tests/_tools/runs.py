"""Training runs shared by the engine and tool tests, each run once per test session.

``reference_run``: ``tools/train.py`` on the tiny config, 3 epochs of 4 iterations, a
checkpoint every epoch, validation after the last epoch, ``deterministic=True``.
``interrupted_run``: the same command, killed with SIGKILL in the middle of epoch 2,
then continued with ``--resume``. Both are subprocesses, as a user runs them.
"""
import glob
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time
from typing import Dict, List

from tests._tools.tiny_config import REPO, write_tiny_config

ITERS_PER_EPOCH = 4  # 16 train images, batch 4
MAX_EPOCHS = 3
_CACHE: Dict[str, dict] = {}


def read_scalars(work_dir: str) -> List[List[dict]]:
    """The ``vis_data/scalars.json`` entries of each run in ``work_dir``, oldest run first."""
    runs = []
    for path in sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            runs.append([json.loads(line) for line in f if line.strip()])
    return runs


def train_entries(entries: List[dict]) -> Dict[int, dict]:
    """Training log entries by (1-based) global iteration."""
    return {e['iter']: e for e in entries if 'iter' in e and 'loss' in e}


def _train_cmd(config: str, work_dir: str, *extra: str) -> List[str]:
    return [sys.executable, osp.join(REPO, 'tools', 'train.py'), config,
            '--work-dir', work_dir, *extra]


def _run(cmd: List[str], log_path: str, timeout: float = 300) -> None:
    with open(log_path, 'w') as log:
        proc = subprocess.run(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
                              timeout=timeout)
    if proc.returncode != 0:
        with open(log_path) as f:
            tail = f.read()[-4000:]
        raise RuntimeError(f'{" ".join(cmd)} failed ({proc.returncode}):\n{tail}')


def session_setup(tmp_path_factory) -> dict:
    """``dict(root, data_root, config)``: a 16 + 8 image demo set and the tiny 3-epoch
    config (``deterministic=True``), made once per session."""
    if 'setup' not in _CACHE:
        from tests._tools import make_demo_dataset
        root = str(tmp_path_factory.mktemp('engine_runs'))
        data_root = osp.join(root, 'data')
        make_demo_dataset(data_root, 16, 8, 0)
        config = write_tiny_config(
            root, data_root, max_epochs=MAX_EPOCHS, warmup_epochs=1,
            extra="randomness = dict(seed=0, deterministic=True)\n")
        _CACHE['setup'] = dict(root=root, data_root=data_root, config=config)
    return _CACHE['setup']


def reference_run(tmp_path_factory) -> dict:
    """The uninterrupted run: ``dict(work_dir, config, data_root, scalars)``."""
    if 'reference' not in _CACHE:
        setup = session_setup(tmp_path_factory)
        work_dir = osp.join(setup['root'], 'reference')
        _run(_train_cmd(setup['config'], work_dir), osp.join(setup['root'], 'reference.out'))
        _CACHE['reference'] = dict(setup, work_dir=work_dir,
                                   scalars=read_scalars(work_dir)[0])
    return _CACHE['reference']


def interrupted_run(tmp_path_factory, timeout: float = 300) -> dict:
    """Train, SIGKILL in the middle of epoch 2, then ``--resume`` (auto) to the end.

    Returns ``dict(work_dir, config, killed_scalars, resumed_scalars, killed_at_iter)``.
    """
    if 'interrupted' in _CACHE:
        return _CACHE['interrupted']
    setup = session_setup(tmp_path_factory)
    work_dir = osp.join(setup['root'], 'interrupted')
    log_path = osp.join(setup['root'], 'interrupted.out')
    first_iter_of_epoch_2 = ITERS_PER_EPOCH + 1
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(_train_cmd(setup['config'], work_dir), cwd=REPO,
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + timeout
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f'the run ended (rc {proc.returncode}) before it '
                                       f'could be interrupted; see {log_path}')
                if time.time() > deadline:
                    raise TimeoutError('epoch 2 did not start in time')
                logged = read_scalars(work_dir)
                iters = train_entries(logged[0]) if logged else {}
                if (osp.exists(osp.join(work_dir, 'epoch_1.pth'))
                        and max(iters, default=0) >= first_iter_of_epoch_2):
                    break
                time.sleep(0.1)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    killed_scalars = read_scalars(work_dir)[0]
    killed_at_iter = max(train_entries(killed_scalars))
    if osp.exists(osp.join(work_dir, 'epoch_2.pth')):
        raise RuntimeError('the run finished epoch 2 before it was killed')
    _run(_train_cmd(setup['config'], work_dir, '--resume'),
         osp.join(setup['root'], 'resumed.out'))
    _CACHE['interrupted'] = dict(
        setup, work_dir=work_dir, killed_scalars=killed_scalars,
        resumed_scalars=read_scalars(work_dir)[-1], killed_at_iter=killed_at_iter)
    return _CACHE['interrupted']
