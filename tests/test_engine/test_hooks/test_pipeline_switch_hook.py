"""PipelineSwitchHook: the training pipeline changes for the last epochs (close mosaic)."""
from types import SimpleNamespace

import pytest
from mmengine.logging import MMLogger
from torch.utils.data import DataLoader

from yolo_toolbox.registry import HOOKS

SWITCHED = [dict(type='LoadImageFromFile'), dict(type='Letterbox', scale=(64, 64))]


class _Dataset:
    def __init__(self):
        self.pipeline = 'original'

    def __len__(self):
        return 4

    def __getitem__(self, idx):
        return idx


def runner(epoch, max_epochs=10, persistent=False):
    loader = DataLoader(_Dataset(), batch_size=2, num_workers=1 if persistent else 0,
                        persistent_workers=persistent)
    return SimpleNamespace(epoch=epoch, max_epochs=max_epochs, train_dataloader=loader,
                           logger=MMLogger.get_current_instance())


def test_switches_for_the_last_epochs():
    hook = HOOKS.build(dict(type='PipelineSwitchHook', last_epochs=3, switch_pipeline=SWITCHED))
    run = runner(epoch=6)
    hook.before_train_epoch(run)
    assert run.train_dataloader.dataset.pipeline == 'original'
    run.epoch = 7  # 10 - 3: the first epoch of the last three
    hook.before_train_epoch(run)
    pipeline = run.train_dataloader.dataset.pipeline
    assert [type(t).__name__ for t in pipeline.transforms] == ['LoadImageFromFile', 'Letterbox']
    run.epoch = 8
    hook.before_train_epoch(run)
    assert run.train_dataloader.dataset.pipeline is pipeline  # switched once


def test_switch_epoch_and_persistent_workers_restart():
    hook = HOOKS.build(dict(type='PipelineSwitchHook', switch_epoch=2, switch_pipeline=SWITCHED))
    run = runner(epoch=5, persistent=True)  # a resumed run past the switch
    loader = run.train_dataloader
    hook.before_train_epoch(run)
    assert loader.dataset.pipeline != 'original'
    assert loader._iterator is None and not loader._DataLoader__initialized
    run.epoch = 6
    hook.before_train_epoch(run)
    assert loader._DataLoader__initialized


def test_needs_one_of_the_two():
    with pytest.raises(ValueError):
        HOOKS.build(dict(type='PipelineSwitchHook', switch_pipeline=SWITCHED))
    with pytest.raises(ValueError):
        HOOKS.build(dict(type='PipelineSwitchHook', switch_pipeline=SWITCHED, last_epochs=1,
                         switch_epoch=1))
