"""EMA (mmengine's EMAHook with the toolbox's MomentumAnnealingEMA config): validation and the
saved ``state_dict`` use the averaged weights; resuming restores both sets."""
import copy
import glob
import os.path as osp
from types import SimpleNamespace

import torch
from mmengine.config import Config

from tests._tools.tiny_config import DEMO_CONFIG
from yolo_toolbox.registry import HOOKS, MODELS


def _state(module: torch.nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _ema_setup():
    cfg = Config.fromfile(DEMO_CONFIG)
    (ema_cfg, ) = [h for h in cfg.custom_hooks if h.type == 'EMAHook']
    model = MODELS.build(cfg.model)
    ema_cfg = copy.deepcopy(ema_cfg)
    ema_cfg.pop('priority')  # the Runner's business, not the hook's
    hook = HOOKS.build(ema_cfg)
    runner = SimpleNamespace(model=model, iter=0, epoch=0, _resume=False)
    hook.before_run(runner)
    return model, hook, runner


def test_ema_hook_validates_and_saves_the_ema_weights():
    model, hook, runner = _ema_setup()
    hook.after_train_iter(runner, 0)  # step 0: the EMA copies the model
    with torch.no_grad():
        for param in model.parameters():
            param.add_(0.5)
    runner.iter = 1
    hook.after_train_iter(runner, 1)  # step 1: the EMA moves most of the way (50 / 51)
    raw, ema = _state(model), _state(hook.ema_model.module)
    assert not _equal(raw, ema)

    hook.before_val_epoch(runner)  # validation sees the EMA weights (and buffers)
    assert _equal(_state(model), ema)
    hook.after_val_epoch(runner)  # training continues with its own weights
    assert _equal(_state(model), raw)

    checkpoint = dict(state_dict=model.state_dict())
    hook.before_save_checkpoint(runner, checkpoint)
    # state_dict: the EMA weights (what test.py and deployment load) ...
    assert _equal({k: v.clone() for k, v in checkpoint['state_dict'].items()}, ema)
    # ... ema_state_dict: the raw weights, under 'module.' + the step count
    saved_raw = {k[len('module.'):]: v for k, v in checkpoint['ema_state_dict'].items()
                 if k.startswith('module.')}
    assert _equal(saved_raw, raw)
    assert int(checkpoint['ema_state_dict']['steps']) == 2

    # resuming swaps them back: the model gets the raw weights, the EMA model the average
    new_model, new_hook, new_runner = _ema_setup()
    new_runner._resume = True
    checkpoint = copy.deepcopy(checkpoint)
    new_hook.after_load_checkpoint(new_runner, checkpoint)
    new_model.load_state_dict(checkpoint['state_dict'])  # what the Runner does next
    assert _equal(_state(new_model), raw)
    assert _equal(_state(new_hook.ema_model.module), ema)
    assert int(new_hook.ema_model.steps) == 2


def test_saved_checkpoints_hold_ema_weights(reference):
    work_dir = reference['work_dir']
    last = torch.load(osp.join(work_dir, 'epoch_3.pth'), map_location='cpu',
                      weights_only=True)
    (best_path, ) = glob.glob(osp.join(work_dir, 'best_det_mAP_50_epoch_*.pth'))
    best = torch.load(best_path, map_location='cpu', weights_only=True)
    assert 'ema_state_dict' in last
    assert int(last['ema_state_dict']['steps']) == 12  # one update per iteration
    raw = {k[len('module.'):]: v for k, v in last['ema_state_dict'].items()
           if k.startswith('module.')}
    assert raw.keys() == last['state_dict'].keys()
    assert not _equal(raw, last['state_dict'])
    # validated after epoch 3 with the EMA weights, so the best checkpoint holds them too
    assert best_path.endswith('epoch_3.pth')
    assert _equal(best['state_dict'], last['state_dict'])
