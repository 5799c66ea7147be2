"""``tools/dist_train.sh`` with 2 CPU processes (gloo), ``tools/test.py`` on its checkpoint,
and ``tools/train.py --resume`` after a SIGKILL."""
import glob
import json
import os
import os.path as osp
import pickle
import re
import socket
import subprocess
import sys
import uuid

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from tests._tools import load_tool
from tests._tools import runs as _runs
from tests._tools.tiny_config import DEMO_CONFIG, REPO, write_tiny_config

train_tool = load_tool('tools/train.py')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _read_json_lines(path: str) -> list:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def _prediction_rows(pred_instances: dict) -> np.ndarray:
    """(N, 6) rows of score, label, x1, y1, x2, y2."""
    return np.concatenate([np.asarray(pred_instances['scores'])[:, None],
                           np.asarray(pred_instances['labels'])[:, None],
                           np.asarray(pred_instances['bboxes']).reshape(-1, 4)], axis=1)


def _matched_rows(a: np.ndarray, b: np.ndarray, rtol: float = 1e-4, atol: float = 1e-5) -> int:
    """How many rows of ``a`` and of ``b`` have a partner in the other, up to float noise
    and order (the smaller of the two counts)."""
    if not len(a) or not len(b):
        return 0
    close = (np.abs(a[:, None] - b[None]) <= atol + rtol * np.abs(b[None])).all(-1)
    return int(min(close.any(1).sum(), close.any(0).sum()))


def _load(path: str) -> dict:
    return torch.load(path, map_location='cpu', weights_only=True)  # torch>=2.6 default


def _sync_norm_stats_lines() -> str:
    """Config lines adding SyncNormStatsHook, unless the demo config already has it."""
    hooks = Config.fromfile(DEMO_CONFIG).custom_hooks
    if any(hook.type == 'SyncNormStatsHook' for hook in hooks):
        return ''
    module = 'yolo_toolbox.engine.hooks.sync_norm_stats_hook'
    hooks = [dict(hook) for hook in hooks] + [dict(type='SyncNormStatsHook')]
    return (f'custom_imports = dict(imports=[{module!r}], allow_failed_imports=False)\n'
            f'custom_hooks = {hooks!r}\n')


@pytest.fixture(scope='module')
def dist_run(tmp_path_factory):
    """2 processes x batch 4, 2 epochs, validation after epoch 2 with predictions dumped;
    then a 1-process ``tools/test.py`` of ``epoch_2.pth`` with ``--out``."""
    root = str(tmp_path_factory.mktemp('dist'))
    val_preds = osp.join(root, 'val_preds.pkl')
    config = write_tiny_config(
        root, _runs.session_setup(tmp_path_factory)['data_root'], max_epochs=2, extra=(
            "val_evaluator = [dict(type='CocoStyleMetric', max_dets=100),\n"
            f"                 dict(type='DumpResults', out_file_path={val_preds!r})]\n"
            + _sync_norm_stats_lines()))
    work_dir = osp.join(root, 'work')
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(_free_port()))
    train = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), config, '2', '--work-dir', work_dir,
         '--auto-scale-lr', '--cfg-options', 'sync_bn=torch'],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=400)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    test_preds = osp.join(root, 'test_preds.pkl')
    test = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'test.py'), config,
         osp.join(work_dir, 'epoch_2.pth'), '--work-dir', osp.join(root, 'test'),
         '--out', test_preds],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert test.returncode == 0, test.stdout[-3000:] + test.stderr[-3000:]
    return dict(work_dir=work_dir, train=train, test=test, test_dir=osp.join(root, 'test'),
                val_preds=val_preds, test_preds=test_preds)


@pytest.mark.slow
def test_dist_train_two_cpu_processes_one_log_one_set_of_checkpoints(dist_run):
    work_dir = dist_run['work_dir']
    (run_dir, ) = [d for d in glob.glob(osp.join(work_dir, '*')) if osp.isdir(d)]
    (log_file, ) = glob.glob(osp.join(run_dir, '*.log'))
    with open(log_file) as f:
        log = f.read()
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert "'backend': 'gloo'" in log
    # 16 images / (2 processes x 4) = 2 iterations per epoch, each logged once (rank 0)
    for epoch in (1, 2):
        for it in (1, 2):
            assert log.count(f'Epoch(train) [{epoch}][{it}/2]') == 1
    assert log.count('Epoch(val) [2][1/1]') == 2  # 8 images / 2 processes: one batch each
    checkpoints = sorted(osp.basename(p) for p in glob.glob(osp.join(work_dir, '*.pth')))
    assert checkpoints == ['best_det_mAP_50_epoch_2.pth', 'epoch_1.pth', 'epoch_2.pth']
    # --auto-scale-lr counts both processes: LR * (2 x 4) / 24
    assert 'the current batch size is 8' in log
    ckpt = _load(osp.join(work_dir, 'epoch_2.pth'))
    assert ckpt['meta']['iter'] == 4 and ckpt['meta']['epoch'] == 2


@pytest.mark.slow
def test_sync_bn_on_cpu_is_skipped_with_a_warning(dist_run):
    output = dist_run['train'].stdout + dist_run['train'].stderr
    # one warning per process; training ran to the end with plain BatchNorm
    assert output.count('UserWarning: sync_bn is set but no GPU is available') == 2
    ckpt = _load(osp.join(dist_run['work_dir'], 'epoch_2.pth'))
    assert any(k.endswith('running_mean') for k in ckpt['state_dict'])


@pytest.mark.slow
def test_gathered_validation_equals_single_process_test(dist_run):
    """Validation (EMA weights, 2 ranks, results gathered) = test.py on the checkpoint."""
    (scalars, ) = _runs.read_scalars(dist_run['work_dir'])
    val_metrics = [e for e in scalars if 'det/mAP_50' in e][-1]
    (test_json, ) = glob.glob(osp.join(dist_run['test_dir'], '*', '*.json'))
    (test_metrics, ) = [e for e in _read_json_lines(test_json) if 'det/mAP_50' in e]
    # The model is barely trained: its scores are small and close together, so float noise
    # of 1e-7 between the 2-process and the 1-process forward (other batch composition,
    # other reduction order) can swap two near-equal boxes at the NMS or max_per_img cut.
    # That moves mAP by far less than 0.002; the bug this test guards against (per-rank
    # BatchNorm statistics) changed about 10% of all predictions.
    for key in ('det/mAP_50', 'det/mAP_50_95', 'det/mAP_75'):
        assert val_metrics[key] == pytest.approx(test_metrics[key], abs=2e-3), key
    printed = re.search(r'mAP@0\.5: ([0-9.]+)\s+mAP@0\.5:0\.95: ([0-9.]+)',
                        dist_run['test'].stdout)
    assert printed and float(printed.group(1)) == pytest.approx(test_metrics['det/mAP_50'],
                                                                abs=1e-4)
    # the predictions themselves: same images, boxes, scores and labels
    with open(dist_run['val_preds'], 'rb') as f:
        val_preds = {p['img_id']: p['pred_instances'] for p in pickle.load(f)}
    with open(dist_run['test_preds'], 'rb') as f:
        test_preds = {p['img_id']: p['pred_instances'] for p in pickle.load(f)}
    assert len(val_preds) == 8 and val_preds.keys() == test_preds.keys()
    num_boxes = num_matched = 0
    for img_id, val in val_preds.items():
        val_rows, test_rows = _prediction_rows(val), _prediction_rows(test_preds[img_id])
        matched = _matched_rows(val_rows, test_rows)
        num_boxes += max(len(val_rows), len(test_rows))
        num_matched += matched
        # per image, all but a few boxes at the cut are the same
        assert matched >= 0.9 * max(len(val_rows), len(test_rows)), img_id
    assert num_boxes > 0 and num_matched >= 0.97 * num_boxes, (num_matched, num_boxes)


@pytest.mark.slow
def test_resume_after_sigkill_ends_like_an_uninterrupted_run(tmp_path_factory):
    reference = _runs.reference_run(tmp_path_factory)
    interrupted = _runs.interrupted_run(tmp_path_factory)
    # killed in epoch 2 (iterations 5-8), after the epoch-1 checkpoint
    assert 5 <= interrupted['killed_at_iter'] <= 7
    final, ref_final = (_load(osp.join(run['work_dir'], 'epoch_3.pth'))
                        for run in (interrupted, reference))
    assert final['meta']['iter'] == ref_final['meta']['iter'] == 12
    assert final['meta']['epoch'] == ref_final['meta']['epoch'] == 3
    assert final['message_hub']['runtime_info']['iter'] == 11  # 0-based, last iteration
    # the resumed run restarted at the epoch-1 checkpoint and went on to iteration 12
    resumed, ref_iters = (_runs.train_entries(interrupted['resumed_scalars']),
                          _runs.train_entries(reference['scalars']))
    assert sorted(resumed) == list(range(5, 13))
    for it in resumed:  # the LR schedule continues where it was
        assert resumed[it]['lr'] == pytest.approx(ref_iters[it]['lr'], rel=1e-9), it
        assert resumed[it]['epoch'] == ref_iters[it]['epoch']
    assert int(final['ema_state_dict']['steps']) == 12  # EMA steps continued too


@pytest.mark.slow
def test_resume_from_path_restores_model_ema_and_schedule(tmp_path_factory, tmp_path):
    """``--resume PATH``: the EMA model equals the one saved at the resume point."""
    interrupted = _runs.interrupted_run(tmp_path_factory)
    ckpt_path = osp.join(interrupted['work_dir'], 'epoch_1.pth')
    args = train_tool.parse_args([
        interrupted['config'], '--work-dir', str(tmp_path), '--resume', ckpt_path,
        # load only: the loop is already at its end (the schedule keeps its 3 epochs)
        '--cfg-options', 'train_cfg.max_epochs=1', 'randomness.deterministic=False'])
    cfg = train_tool.build_cfg(args)
    assert cfg.resume and cfg.load_from == ckpt_path
    cfg.visualizer.name = f'vis_{uuid.uuid4().hex}'
    runner = Runner.from_cfg(cfg)
    runner.train()
    (ema_hook, ) = [h for h in runner.hooks if type(h).__name__ == 'EMAHook']
    saved = _load(ckpt_path)
    assert runner.iter == 4 and runner.epoch == 1
    ema_now = ema_hook.ema_model.state_dict()
    for key, value in saved['state_dict'].items():  # saved state_dict = the EMA weights
        assert torch.equal(ema_now[f'module.{key}'], value), key
    assert int(ema_now['steps']) == 4
    model_now = runner.model.state_dict()
    for key, value in saved['ema_state_dict'].items():  # ... and the raw ones
        if key.startswith('module.'):
            assert torch.equal(model_now[key[len('module.'):]], value), key
    group = runner.optim_wrapper.optimizer.param_groups[0]
    assert group['lr'] == pytest.approx(cfg.optim_wrapper.optimizer.lr)  # end of warmup
    assert runner.optim_wrapper.optimizer.state  # Adam moments came back
