"""SyncNormStatsHook: which buffers it averages (the 2-process behaviour is checked in
tests/test_tools/test_train_dist_resume.py)."""
from types import SimpleNamespace

import torch
from mmengine.hooks import EMAHook

# registers the hook even before yolo_toolbox/engine/hooks/__init__.py imports it
import yolo_toolbox.engine.hooks.sync_norm_stats_hook  # noqa: F401
from yolo_toolbox.registry import HOOKS


def test_collects_float_buffers_of_model_and_ema_and_is_a_no_op_alone():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.BatchNorm2d(4))
    ema_hook = EMAHook(ema_type='MomentumAnnealingEMA', momentum=0.01, gamma=50,
                       update_buffers=True)
    runner = SimpleNamespace(model=model, hooks=[ema_hook])
    ema_hook.before_run(runner)
    hook = HOOKS.build(dict(type='SyncNormStatsHook'))
    buffers = hook._floating_buffers(runner)
    expected = [model[1].running_mean, model[1].running_var,
                ema_hook.ema_model.module[1].running_mean,
                ema_hook.ema_model.module[1].running_var]
    assert len(buffers) == len(expected)
    assert all(a is b for a, b in zip(buffers, expected))  # not num_batches_tracked / steps
    before = [b.clone() for b in buffers]
    hook.after_train_epoch(runner)  # one process: nothing to average
    hook.before_val_epoch(runner)
    assert all(torch.equal(a, b) for a, b in zip(before, buffers))
