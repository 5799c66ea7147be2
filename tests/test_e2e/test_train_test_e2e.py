"""End to end: train on a tiny demo set with tools/train.py, evaluate with tools/test.py;
the trained model's mAP@0.5 must clearly beat an untrained one's."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import save_checkpoint

from tests._tools import make_demo_dataset
from yolo_toolbox.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

TINY_CONFIG = """
_base_ = '{base}'
img_scale = (160, 160)
data_root = '{data_root}'
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='Letterbox', scale=img_scale),
    dict(type='Albu', transforms=[dict(type='HorizontalFlip', p=0.5)],
         bbox_params=dict(format='pascal_voc', min_area=4, min_visibility=0.1)),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Letterbox', scale=img_scale),
    dict(type='LoadAnnotations'),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs={epochs}, val_interval={epochs})
# fp32 pinned (issue 18): bf16 autocast is the default on CPUs with native bf16; this
# test's bars were measured in fp32
optim_wrapper = dict(amp=False, optimizer=dict(lr=0.004))
param_scheduler = [dict(type='LinearLR', start_factor=0.2, by_epoch=False, begin=0, end=10)]
default_hooks = dict(logger=dict(interval=5),
                     checkpoint=dict(interval={epochs}, max_keep_ckpts=1))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(vis_backends=vis_backends)
custom_hooks = []
randomness = dict(seed=0)
"""


def write_tiny_config(tmp_path, data_root, epochs, base='yolo_demo.py'):
    path = tmp_path / 'tiny_demo.py'
    path.write_text(TINY_CONFIG.format(base=osp.join(REPO, 'configs/demo', base),
                                       data_root=str(data_root) + '/', epochs=epochs))
    return str(path)


@pytest.fixture(scope='module')
def tiny_demo(tmp_path_factory):
    root = tmp_path_factory.mktemp('demo_e2e')
    make_demo_dataset(str(root), num_train=96, num_val=24, seed=3)
    return root


@pytest.mark.slow
@pytest.mark.parametrize('base, assigner', [('yolo_demo.py', 'ATSSAssigner'),
                                            ('yolo_demo_nearby.py', 'NearbyGridAssigner')])
def test_trained_model_beats_untrained(tmp_path, tiny_demo, base, assigner):
    """The demo (ATSS) and its nearby-grid variant."""
    from tools.test import main as test_main
    from tools.train import main as train_main

    config = write_tiny_config(tmp_path, tiny_demo, epochs=12, base=base)
    assert Config.fromfile(config).model.bbox_head.assigner.type == assigner
    untrained = tmp_path / 'untrained.pth'
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    model.init_weights()
    save_checkpoint({'state_dict': model.state_dict()}, str(untrained))
    before = test_main([config, str(untrained), '--work-dir', str(tmp_path / 'test0')])

    work_dir = tmp_path / 'train'
    train_main([config, '--work-dir', str(work_dir)])
    checkpoints = glob.glob(str(work_dir / 'epoch_12.pth'))
    assert checkpoints, 'training did not save its last checkpoint'
    assert glob.glob(str(work_dir / 'best_det_mAP_50_*.pth')), 'best checkpoint missing'
    after = test_main([config, checkpoints[0], '--work-dir', str(tmp_path / 'test1')])

    assert 0.0 <= before['det/mAP_50'] < 0.05
    assert after['det/mAP_50'] > before['det/mAP_50'] + 0.15, (before, after)
    assert after['det/mAP_50_95'] > before['det/mAP_50_95']
