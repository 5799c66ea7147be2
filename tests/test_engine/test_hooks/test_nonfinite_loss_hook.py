"""NonFiniteLossHook: a NaN loss stops the run with a clear message (or skips the step),
and no checkpoint ever holds NaN weights."""
import glob
import json
import math
import os.path as osp
import uuid
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.runner import Runner

from tests._tools import load_tool
from yolo_toolbox.engine.hooks import NonFiniteLossError, NonFiniteLossHook
from yolo_toolbox.engine.hooks.nonfinite_loss_hook import SKIPPED_KEY, format_parts

train_tool = load_tool('tools/train.py')


def _runner(config: str, work_dir: str, *extra: str) -> Runner:
    cfg = train_tool.build_cfg(train_tool.parse_args([config, '--work-dir', work_dir, *extra]))
    cfg.visualizer.name = f'vis_{uuid.uuid4().hex}'  # mmengine instance names are global
    return Runner.from_cfg(cfg)


def _poison(runner: Runner, at_call: int) -> None:
    """Make the head's loss_bbox (and its 16-px part) NaN in training step ``at_call``."""
    head = runner.model.bbox_head
    original, calls = head.loss_by_feat, []

    def loss_by_feat(*args, **kwargs):
        losses = original(*args, **kwargs)
        calls.append(1)
        if len(calls) == at_call:
            losses['loss_bbox'] = losses['loss_bbox'] * float('nan')
            losses['bbox_s16'] = losses['bbox_s16'] * float('nan')
        return losses
    head.loss_by_feat = loss_by_feat


class _Snapshots(Hook):
    """Copies of the raw model's parameters after every training iteration."""
    priority = 'LOWEST'

    def __init__(self):
        self.params = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.params.append({k: v.detach().clone() for k, v in runner.model.named_parameters()})


def _all_finite(state: dict) -> bool:
    return all(bool(torch.isfinite(v).all()) for v in state.values()
               if isinstance(v, torch.Tensor) and v.is_floating_point())


def test_nan_loss_stops_with_iteration_part_and_last_good_checkpoint(tiny_config, tmp_path):
    work_dir = str(tmp_path / 'work')
    runner = _runner(tiny_config(max_epochs=2), work_dir)
    # listed in the base runtime config (default_hooks.nonfinite_loss), once
    assert sum(isinstance(h, NonFiniteLossHook) for h in runner.hooks) == 1
    _poison(runner, at_call=6)  # epoch 2 (4 iterations per epoch), its 2nd batch
    with pytest.raises(NonFiniteLossError) as info:
        runner.train()
    message = str(info.value)
    assert 'Non-finite loss at iteration 6 (epoch 2, batch 2 of the epoch)' in message
    assert 'loss=nan' in message and 'loss_bbox=nan (bbox_s16=nan)' in message
    assert 'loss_obj' not in message and 'loss_cls' not in message  # those stayed finite
    epoch_1 = osp.join(work_dir, 'epoch_1.pth')
    assert f'the last good checkpoint is {epoch_1}' in message and '--resume' in message
    assert not osp.exists(osp.join(work_dir, 'epoch_2.pth'))
    # the NaN step was not applied: the weights in memory and on disk are finite
    assert _all_finite(dict(runner.model.state_dict()))
    assert _all_finite(torch.load(epoch_1, weights_only=True)['state_dict'])


def test_nan_loss_step_is_skipped_and_counted(tiny_config, tmp_path):
    work_dir = str(tmp_path / 'work')
    # one epoch of a 2-epoch schedule, no validation
    runner = _runner(tiny_config(max_epochs=2, val_interval=3), work_dir,
                     '--on-nonfinite-loss', 'skip', '--cfg-options', 'train_cfg.max_epochs=1')
    snapshots = _Snapshots()
    runner.register_hook(snapshots)
    _poison(runner, at_call=2)
    runner.train()
    assert runner.iter == 4  # the epoch ran to its end
    assert runner.message_hub.get_info(SKIPPED_KEY) == 1
    first, second, third = snapshots.params[:3]
    # iteration 2 changed no weight; iterations 1 and 3 did
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not all(torch.equal(second[k], third[k]) for k in second)
    ckpt = torch.load(osp.join(work_dir, 'epoch_1.pth'), weights_only=True)
    assert _all_finite(ckpt['state_dict']) and _all_finite(ckpt['ema_state_dict'])
    assert ckpt['message_hub']['runtime_info'][SKIPPED_KEY] == 1  # survives a resume
    # the NaN never reached the (smoothed) training log
    (scalars, ) = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    with open(scalars) as f:
        entries = [json.loads(line) for line in f if line.strip()]
    assert len([e for e in entries if 'loss' in e]) == 4
    for entry in entries:
        for key, value in entry.items():
            assert not (isinstance(value, float) and not math.isfinite(value)), (key, entry)


def _fake_runner(tmp_path, iteration: int = 9):
    hub = MessageHub.get_instance(f'hub_{uuid.uuid4().hex}')
    return SimpleNamespace(iter=iteration, epoch=1, message_hub=hub, work_dir=str(tmp_path),
                           model=torch.nn.BatchNorm1d(2))


def test_skip_stops_beyond_max_skips(tmp_path):
    runner = _fake_runner(tmp_path)
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    hook = NonFiniteLossHook(action='skip', max_skips=1)
    outputs = dict(loss=torch.tensor(float('inf')), loss_obj=torch.tensor(float('inf')),
                   obj_s8=torch.tensor(float('inf')), loss_cls=torch.tensor(0.5))
    hook._step_skipped = True
    hook.after_train_iter(runner, 3, outputs=outputs)
    assert runner.message_hub.get_info(SKIPPED_KEY) == 1
    assert set(outputs) == {'loss_cls'}  # the non-finite values are not logged
    hook._step_skipped = True
    with pytest.raises(NonFiniteLossError, match='beyond max_skips=1') as info:
        hook.after_train_iter(runner, 4, outputs=dict(loss=torch.tensor(float('nan'))))
    assert f'the last good checkpoint is {tmp_path / "epoch_1.pth"}' in str(info.value)
    # a finite step is left alone
    hook.after_train_iter(runner, 5, outputs=dict(loss=torch.tensor(0.5)))


def test_skip_stops_when_the_forward_pass_broke_the_buffers(tmp_path):
    runner = _fake_runner(tmp_path)
    runner.model.running_mean.fill_(float('nan'))
    hook = NonFiniteLossHook(action='skip')
    hook._step_skipped = True
    with pytest.raises(NonFiniteLossError, match='running_mean') as info:
        hook.after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(float('nan'))))
    assert 'no checkpoint has been saved yet' in str(info.value)


def test_checkpoint_with_nan_weights_is_never_written(tmp_path):
    runner = _fake_runner(tmp_path, iteration=41)
    hook = NonFiniteLossHook()
    good = dict(state_dict={'w': torch.ones(3)}, ema_state_dict={'steps': torch.tensor(3)})
    hook.before_save_checkpoint(runner, good)
    bad = dict(state_dict={'w': torch.ones(3), 'b': torch.tensor([0.0, float('inf')])},
               ema_state_dict={'module.w': torch.tensor([float('nan')])})
    with pytest.raises(NonFiniteLossError, match='iteration 42') as info:
        hook.before_save_checkpoint(runner, bad)
    assert 'state_dict.b' in str(info.value) and 'ema_state_dict.module.w' in str(info.value)
    assert 'state_dict.w,' not in str(info.value)


def test_format_parts_groups_scale_logs_under_their_loss():
    text = format_parts({'loss': math.nan, 'loss_bbox': math.nan, 'bbox_s16': math.nan,
                         'bbox_s32': math.inf, 'loss_obj': math.inf, 'obj_s8': math.inf,
                         'num_pos': math.nan})
    assert text == ('loss=nan, loss_bbox=nan (bbox_s16=nan, bbox_s32=inf), '
                    'loss_obj=inf (obj_s8=inf), num_pos=nan')


def test_bad_action_is_refused():
    with pytest.raises(ValueError, match="'stop' or 'skip'"):
        NonFiniteLossHook(action='ignore')
