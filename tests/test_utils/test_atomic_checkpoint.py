"""Atomic checkpoint writes, and ``--resume`` past a checkpoint that a kill cut short."""
import glob
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch
from mmengine.fileio import get_file_backend

from tests._tools import runs as _runs
from tests._tools.tiny_config import REPO, write_tiny_config
from yolo_toolbox.utils import atomic_checkpoint
from yolo_toolbox.utils.atomic_checkpoint import (
    AtomicLocalBackend,
    atomic_write_bytes,
    find_resumable_checkpoint,
)


# ---------------------------------------------------------------- atomic writes
def test_the_config_chooses_the_atomic_backend_and_import_replaces_nothing(tmp_path):
    """issue 19: importing yolo_toolbox leaves mmengine's 'local' backend alone; the
    checkpoint hook's backend_args (base runtime config) choose 'atomic_local'."""
    from mmengine.config import Config
    from mmengine.fileio import LocalBackend
    plain = get_file_backend(str(tmp_path / 'other.json'))
    assert type(plain) is LocalBackend
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'default_runtime.py'))
    backend_args = cfg.default_hooks.checkpoint.backend_args
    assert backend_args == dict(backend='atomic_local')
    backend = get_file_backend(str(tmp_path / 'epoch_1.pth'), backend_args=backend_args)
    assert isinstance(backend, AtomicLocalBackend)
    backend.put(b'abc', str(tmp_path / 'sub' / 'epoch_1.pth'))
    assert (tmp_path / 'sub' / 'epoch_1.pth').read_bytes() == b'abc'
    assert os.listdir(tmp_path / 'sub') == ['epoch_1.pth']  # no temporary file left


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = str(tmp_path / 'epoch_3.pth')
    atomic_write_bytes(b'old checkpoint', path)

    def write_half_then_fail(f, data, chunk_bytes):
        f.write(data[:4])
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(atomic_checkpoint, '_write_chunks', write_half_then_fail)
    with pytest.raises(OSError, match='No space left'):
        atomic_write_bytes(b'new checkpoint', path)
    assert open(path, 'rb').read() == b'old checkpoint'
    assert os.listdir(tmp_path) == ['epoch_3.pth']


# ---------------------------------------------------------------- choosing the checkpoint
def _fake_checkpoint(path: str, epoch: int, mtime: int, optimizer: bool = True) -> str:
    ckpt = dict(meta=dict(epoch=epoch, iter=4 * epoch), state_dict={'w': torch.ones(2)})
    if optimizer:
        ckpt['optimizer'] = {'state': {}}
    torch.save(ckpt, path)
    os.utime(path, ns=(mtime * 10**9, mtime * 10**9))
    return path


def _truncate(path: str) -> None:
    size = osp.getsize(path)
    with open(path, 'r+b') as f:
        f.truncate(size // 2)


def test_resume_skips_a_truncated_last_checkpoint(tmp_path):
    work = str(tmp_path)
    _fake_checkpoint(osp.join(work, 'epoch_1.pth'), 1, mtime=100)
    _fake_checkpoint(osp.join(work, 'epoch_2.pth'), 2, mtime=200)
    _fake_checkpoint(osp.join(work, 'best_det_mAP_50_epoch_3.pth'), 3, 400, optimizer=False)
    _truncate(_fake_checkpoint(osp.join(work, 'epoch_3.pth'), 3, mtime=300))
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'epoch_3.pth'))
    (tmp_path / '.epoch_4.pth.tmp-abc').write_bytes(b'partial')
    path, notes = find_resumable_checkpoint(work)
    assert path == osp.join(work, 'epoch_2.pth')  # best_* is no training checkpoint
    assert notes[0].startswith(f'ignored {osp.join(work, ".epoch_4.pth.tmp-abc")}: a partial')
    assert notes[1].startswith(f'skipped checkpoint {osp.join(work, "epoch_3.pth")}: cannot '
                               'be loaded (RuntimeError: PytorchStreamReader failed')
    assert len(notes) == 2


def test_resume_without_a_pointer_takes_the_newest_good_one(tmp_path):
    work = str(tmp_path)
    _fake_checkpoint(osp.join(work, 'epoch_1.pth'), 1, mtime=300)  # newest by time
    _fake_checkpoint(osp.join(work, 'epoch_2.pth'), 2, mtime=200)
    assert find_resumable_checkpoint(work) == (osp.join(work, 'epoch_1.pth'), [])
    (tmp_path / 'last_checkpoint').write_text('')  # killed while writing the pointer
    path, notes = find_resumable_checkpoint(work)
    assert path == osp.join(work, 'epoch_1.pth') and 'is empty' in notes[0]


def test_resume_with_nothing_loadable_is_an_error_naming_each_file(tmp_path):
    work = str(tmp_path)
    assert find_resumable_checkpoint(work) == (  # no checkpoint at all
        None, [f'no checkpoint in {work}: training starts from scratch'])
    (tmp_path / 'epoch_1.pth').write_bytes(b'')
    _truncate(_fake_checkpoint(osp.join(work, 'epoch_2.pth'), 2, mtime=200))
    with pytest.raises(RuntimeError, match='no checkpoint in') as info:
        find_resumable_checkpoint(work)
    assert 'epoch_1.pth: file is empty (0 bytes)' in str(info.value)
    assert 'epoch_2.pth: cannot be loaded' in str(info.value)


# ---------------------------------------------------------------- a real kill
def _train(config: str, work_dir: str, log_path: str, env: dict, *extra: str):
    cmd = [sys.executable, osp.join(REPO, 'tools', 'train.py'), config, '--work-dir',
           work_dir, *extra]
    with open(log_path, 'w') as log:
        return subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env)


def _finish(proc: subprocess.Popen, log_path: str) -> str:
    proc.wait(timeout=400)
    with open(log_path) as f:
        output = f.read()
    assert proc.returncode == 0, output[-4000:]
    return output


@pytest.fixture(scope='module')
def killed_in_save(tmp_path_factory):
    """The reference run's config; SIGKILL half-way through writing ``epoch_2.pth``;
    then ``--resume``. Every atomic write is listed in ``writes.txt``."""
    setup = _runs.session_setup(tmp_path_factory)
    root = str(tmp_path_factory.mktemp('killed_in_save'))
    config = write_tiny_config(
        root, setup['data_root'], max_epochs=_runs.MAX_EPOCHS, warmup_epochs=1,
        extra="randomness = dict(seed=0, deterministic=True)\n"
              "custom_imports = dict(imports=['tests._tools.slow_save'],\n"
              "                      allow_failed_imports=False)\n")
    work_dir, marker = osp.join(root, 'work'), osp.join(root, 'saving')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.environ.get('PYTHONPATH', '')]),
               SLOW_SAVE_LOG=osp.join(root, 'writes.txt'))
    proc = _train(config, work_dir, osp.join(root, 'killed.out'),
                  dict(env, SLOW_SAVE_FILE='epoch_2.pth', SLOW_SAVE_MARKER=marker))
    try:
        deadline = time.time() + 400
        while not osp.exists(marker):
            assert proc.poll() is None, open(osp.join(root, 'killed.out')).read()[-4000:]
            assert time.time() < deadline, 'the epoch-2 save did not start in time'
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    after_kill = dict(files=sorted(os.listdir(work_dir)),
                      tmp=glob.glob(osp.join(work_dir, '.epoch_2.pth.tmp-*')),
                      pointer=open(osp.join(work_dir, 'last_checkpoint')).read().strip())
    output = _finish(_train(config, work_dir, osp.join(root, 'resumed.out'), env, '--resume'),
                     osp.join(root, 'resumed.out'))
    return dict(root=root, config=config, work_dir=work_dir, env=env, after_kill=after_kill,
                output=output, writes=open(osp.join(root, 'writes.txt')).read().split())


@pytest.mark.slow
def test_kill_during_a_save_leaves_the_previous_checkpoint_in_charge(killed_in_save):
    work_dir, after_kill = killed_in_save['work_dir'], killed_in_save['after_kill']
    assert 'epoch_2.pth' not in after_kill['files'] and 'epoch_1.pth' in after_kill['files']
    assert after_kill['pointer'] == osp.join(work_dir, 'epoch_1.pth')
    (partial, ) = after_kill['tmp']  # what mmengine would have left as epoch_2.pth
    assert 0 < osp.getsize(partial) < osp.getsize(osp.join(work_dir, 'epoch_2.pth'))
    with pytest.raises(RuntimeError, match='PytorchStreamReader'):
        torch.load(partial, weights_only=True)
    assert f'--resume: ignored {partial}: a partial checkpoint' in killed_in_save['output']
    # every checkpoint of both runs went through the atomic write
    written = {osp.basename(p).split('.tmp-')[0][1:] for p in killed_in_save['writes']}
    written = sorted(name for name in written if name.endswith('.pth'))
    assert written == ['best_det_mAP_50_epoch_3.pth', 'epoch_1.pth', 'epoch_2.pth',
                       'epoch_3.pth']


@pytest.mark.slow
def test_resume_after_the_kill_ends_like_an_uninterrupted_run(killed_in_save,
                                                              tmp_path_factory):
    reference = _runs.reference_run(tmp_path_factory)
    final, ref_final = (torch.load(osp.join(run['work_dir'], 'epoch_3.pth'), weights_only=True)
                        for run in (killed_in_save, reference))
    assert (final['meta']['epoch'], final['meta']['iter']) == (3, 12)
    assert (ref_final['meta']['epoch'], ref_final['meta']['iter']) == (3, 12)
    resumed = _runs.train_entries(_runs.read_scalars(killed_in_save['work_dir'])[-1])
    ref_iters = _runs.train_entries(reference['scalars'])
    assert sorted(resumed) == list(range(5, 13))  # restarted at the epoch-1 checkpoint
    for it in resumed:
        assert resumed[it]['epoch'] == ref_iters[it]['epoch']
        assert resumed[it]['lr'] == pytest.approx(ref_iters[it]['lr'], rel=1e-9), it


@pytest.mark.slow
def test_resume_falls_back_past_a_truncated_newest_checkpoint(killed_in_save, tmp_path):
    """What an in-place (non-atomic) save killed half-way leaves: ``last_checkpoint``
    names a truncated file. ``--resume`` skips it, says why, and continues from the
    newest checkpoint that loads."""
    work_dir = str(tmp_path / 'work')
    shutil.copytree(killed_in_save['work_dir'], work_dir)
    last = osp.join(work_dir, 'epoch_3.pth')
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(last)
    _truncate(last)
    log_path = str(tmp_path / 'fallback.out')
    output = _finish(_train(killed_in_save['config'], work_dir, log_path,
                            killed_in_save['env'], '--resume'), log_path)
    skip_note = (f'--resume: skipped checkpoint {last}: cannot be loaded (RuntimeError: '
                 'PytorchStreamReader failed reading zip archive')
    assert skip_note in output
    run_log = sorted(glob.glob(osp.join(work_dir, '2*', '2*.log')))[-1]
    assert skip_note in open(run_log).read()  # in the run's log file too
    assert f'Load checkpoint from {osp.join(work_dir, "epoch_2.pth")}' in output
    final = torch.load(last, weights_only=True)
    assert (final['meta']['epoch'], final['meta']['iter']) == (3, 12)
    resumed = _runs.train_entries(_runs.read_scalars(work_dir)[-1])
    assert sorted(resumed) == [9, 10, 11, 12]
