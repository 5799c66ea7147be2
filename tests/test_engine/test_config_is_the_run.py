"""issue 19: what runs is what the config says, and mistakes in it are errors.

- a run built with the Python API (``Runner.from_cfg``) equals one of ``tools/train.py``;
- checkpoints that do not fit the model are refused (``CheckpointFitHook``), fine-tuning
  on another class count goes through ``skip_prefixes``;
- ``--cfg-options`` keys, hook arguments and the head's ``test_cfg`` are checked.
"""
import os
import os.path as osp
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from tests._tools import load_tool
from yolo_toolbox.apis import init_detector
from yolo_toolbox.utils import load_config
from yolo_toolbox.utils.checkpoint_fit import CheckpointMismatchError

train_tool = load_tool('tools/train.py')
test_tool = load_tool('tools/test.py')


def _unique(cfg: Config) -> Config:
    cfg.visualizer.name = f'vis_{uuid.uuid4().hex}'  # mmengine instance names are global
    return cfg


def _files(work_dir: str) -> list:
    return sorted(f for f in os.listdir(work_dir) if not osp.isdir(osp.join(work_dir, f)))


def test_python_api_run_equals_tools_train(tiny_config, tmp_path):
    config = tiny_config(max_epochs=2, val_interval=3)
    by_tool, by_api = str(tmp_path / 'tool'), str(tmp_path / 'api')
    tool_cfg = train_tool.build_cfg(train_tool.parse_args(
        [config, '--work-dir', by_tool, '--cfg-options', 'train_cfg.max_epochs=1']))
    api_cfg = Config.fromfile(config)  # as a user of the Python API writes it
    api_cfg.work_dir = by_api
    api_cfg.train_cfg.max_epochs = 1
    runners = []
    for cfg in (tool_cfg, api_cfg):  # one after the other: the runner seeds the RNGs
        runners.append(Runner.from_cfg(_unique(cfg)))
        runners[-1].train()
    hooks = [[(type(h).__name__, h.priority) for h in r.hooks] for r in runners]
    assert hooks[0] == hooks[1]
    names = [name for name, _ in hooks[0]]
    for hook in ('NonFiniteLossHook', 'CheckpointFitHook', 'HookArgsCheckHook', 'EMAHook'):
        assert hook in names  # from the base runtime config, not added by the tool
    assert [type(r.optim_wrapper) for r in runners] == [type(runners[0].optim_wrapper)] * 2
    for runner in runners:  # the guard uses public API: nothing of the wrapper is replaced
        assert 'update_params' not in vars(runner.optim_wrapper)
    assert _files(by_tool) == _files(by_api) == [
        'best_det_mAP_50_epoch_1.pth', 'epoch_1.pth', 'last_checkpoint', 'tiny.py']
    weights = [torch.load(osp.join(d, 'epoch_1.pth'), weights_only=True)['state_dict']
               for d in (by_tool, by_api)]
    for key in weights[0]:
        torch.testing.assert_close(weights[0][key], weights[1][key])


def _four_class_checkpoint(config: str, path: str) -> str:
    model = init_detector(config)
    torch.save(dict(state_dict=model.state_dict(), meta=dict(dataset_meta=dict(
        classes=('ellipse', 'rectangle', 'triangle', 'star')))), path)
    return path


def test_test_py_refuses_a_checkpoint_of_another_class_count(tiny_config, tmp_path):
    config = tiny_config()
    ckpt = _four_class_checkpoint(config, str(tmp_path / 'four.pth'))
    five = ['--cfg-options', 'model.bbox_head.num_classes=5',
            'test_dataloader.dataset.metainfo.classes=[ellipse,rectangle,triangle,star,x]']
    with pytest.raises(CheckpointMismatchError,
                       match=r'four\.pth does not fit .*num_classes 5 vs 4 \(config vs '
                             r'checkpoint\); 3 tensors differ .*bbox_head\.convs\.0\.weight'):
        test_tool.main([config, ckpt, '--work-dir', str(tmp_path / 'test'), *five])
    with pytest.raises(CheckpointMismatchError, match='num_classes 5 vs 4'):
        init_detector(config, ckpt, cfg_options={'model.bbox_head.num_classes': 5})


def test_load_from_another_class_count_needs_skip_prefixes(tiny_config, tmp_path):
    config = tiny_config(max_epochs=2, val_interval=3)
    ckpt = _four_class_checkpoint(config, str(tmp_path / 'four.pth'))
    five = '[ellipse,rectangle,triangle,star,hexagon]'
    options = ['model.bbox_head.num_classes=5', 'train_cfg.max_epochs=1', f'load_from={ckpt}',
               f'train_dataloader.dataset.metainfo.classes={five}',
               f'val_dataloader.dataset.metainfo.classes={five}']
    refused = Runner.from_cfg(_unique(train_tool.build_cfg(train_tool.parse_args(
        [config, '--work-dir', str(tmp_path / 'a'), '--cfg-options', *options]))))
    with pytest.raises(CheckpointMismatchError, match='num_classes 5 vs 4'):
        refused.train()
    assert refused.iter == 0
    runner = Runner.from_cfg(_unique(train_tool.build_cfg(train_tool.parse_args(
        [config, '--work-dir', str(tmp_path / 'b'), '--cfg-options', *options,
         "default_hooks.checkpoint_fit.skip_prefixes=['bbox_head.']"]))))
    runner.train()  # fine-tuning: the backbone and neck from the checkpoint, a new head
    loaded = torch.load(ckpt, weights_only=True)['state_dict']
    name = next(k for k in loaded if k.startswith('backbone.'))
    assert runner.iter == 4 and runner.model.bbox_head.num_classes == 5
    assert name in runner.model.state_dict()


@pytest.mark.parametrize('option, message', [
    ('trian_cfg.max_epochs=1', r"'trian_cfg\.max_epochs' is not a key of the config \(did you "
                               r'mean train_cfg\.max_epochs\?\)'),
    ('max_epochs=1', r"'max_epochs' is a variable of the config file.*did you mean "
                     r'train_cfg\.max_epochs\?'),
    ('model.bbox_head.test_cfg.nms_iou=0.5', r'did you mean model\.bbox_head\.test_cfg\.'
                                             r'nms_iou_thr\?'),
    ('default_hooks.checkpoint.intervall=1', r'CheckpointHook \(default_hooks\.checkpoint\) has '
                                             r"no argument 'intervall' \(did you mean interval\?"),
])
def test_unknown_cfg_options_name_the_closest_key(tiny_config, option, message):
    with pytest.raises(KeyError, match=message + r'.*leading \+'):
        train_tool.build_cfg(train_tool.parse_args([tiny_config(), '--cfg-options', option]))


def test_cfg_options_that_exist_or_are_module_arguments_or_new_with_plus(tiny_config):
    cfg = load_config(tiny_config(), {
        'train_cfg.max_epochs': 1,                      # in the config
        'model.backbone.frozen_stages': 1,              # an argument of ResNet
        'optim_wrapper.clip_grad': dict(max_norm=10.0),  # an argument of the wrapper
        '+my_notes.run': 'a'})                          # new, on purpose
    assert cfg.train_cfg.max_epochs == 1 and cfg.my_notes.run == 'a'
    assert cfg.model.backbone.frozen_stages == 1


def test_unknown_hook_argument_stops_before_training(tiny_config, tmp_path):
    cfg = load_config(tiny_config(), {'+default_hooks.checkpoint.intervall': 1},
                      str(tmp_path / 'work'))
    runner = Runner.from_cfg(_unique(cfg))
    with pytest.raises(ValueError, match=r"CheckpointHook: unknown argument 'intervall' \(did "
                                         r'you mean interval\?\)'):
        runner.train()
    assert runner.iter == 0


def test_unknown_test_cfg_key_is_refused_when_the_head_is_built(tiny_config):
    with pytest.raises(ValueError, match=r"YOLOHead test_cfg: unknown key\(s\) 'nms_iou' \(did "
                                         r'you mean nms_iou_thr\?\)'):
        init_detector(tiny_config(), cfg_options={'+model.bbox_head.test_cfg.nms_iou': 0.5})


def test_runner_keys_and_arguments_of_a_new_type_need_no_plus(tiny_config):
    """``sync_bn=torch`` (a key the runner reads) and the arguments of a type the same
    options set are not refused; an argument the configured type lacks still is."""
    cfg = load_config(tiny_config(), {
        'sync_bn': 'torch', 'model.bbox_head.assigner.type': 'SingleGridAssigner',
        'model.bbox_head.assigner.some_arg': 1})
    assert cfg.sync_bn == 'torch' and cfg.model.bbox_head.assigner.some_arg == 1
    with pytest.raises(KeyError, match=r"NearbyGridAssigner \(model\.bbox_head\.assigner\) has "
                                       r"no argument 'some_arg'"):
        load_config(tiny_config(), {'model.bbox_head.assigner.some_arg': 1})
