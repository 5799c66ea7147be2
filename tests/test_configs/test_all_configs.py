"""Every config under configs/ builds; each row of the original's tables has its config and
parameter count."""
import glob
import os.path as osp

import pytest
import torch
import torchvision
from mmengine.config import Config

from yolo_toolbox.registry import DATASETS, MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)

# config -> Params(M) of the original README (20 classes)
TABLE_ROWS = {
    'yolo_r18_nearby.py': 7.76,
    'yolo_r18_single.py': 7.76,
    'yolo_r18_all.py': 7.76,
    'yolo_r34_nearby.py': 13.45,
    'yolo_r50_nearby.py': 36.49,
    'yolo_darknet_nearby.py': 28.68,
    'width/yolo_r18_cs025_nearby.py': 0.87,
    'width/yolo_r18_cs050_nearby.py': 3.46,
    'width/yolo_r18_cs075_nearby.py': 7.76,
    'width/yolo_r18_cs100_nearby.py': 13.78,
    'width/yolo_darknet_cs025_nearby.py': 3.20,
    'width/yolo_darknet_cs050_nearby.py': 12.76,
    'width/yolo_darknet_cs075_nearby.py': 28.68,
    'width/yolo_darknet_cs100_nearby.py': 50.94,
    **{f'pretraining/yolo_r{d}_cs{cs}_{kind}.py': params
       for (d, cs), params in {(18, '025'): 0.87, (18, '050'): 3.46, (18, '075'): 7.76,
                               (18, '100'): 13.78, (34, '075'): 13.45,
                               (50, '075'): 36.49}.items()
       for kind in ('imagenet', 'scratch')},
}
# The README's ResNet-18 x0.25 value is 1.6% below its own code at 20 classes (our modules
# match that code parameter for parameter; the README column was evidently counted with a
# 2-class head, see tools/misc/count_params.py). That one row gets 1.7%.
TOLERANCE = {0.87: 0.017}


def rel(path):
    return osp.relpath(path, osp.join(REPO, 'configs'))


def test_every_table_row_has_a_config():
    assert set(TABLE_ROWS) <= {rel(p) for p in CONFIGS}


@pytest.mark.parametrize('path', CONFIGS, ids=rel)
def test_config_builds(path, tmp_path):
    cfg = Config.fromfile(path)
    backbone = cfg.model.backbone
    if backbone.get('pretrained'):
        # imagenet configs read a local torchvision file; give them one (random weights)
        fake = tmp_path / osp.basename(backbone.pretrained)
        net = getattr(torchvision.models, f'resnet{backbone.depth}')(weights=None)
        torch.save(net.state_dict(), fake)
        backbone.pretrained = str(fake)
    model = MODELS.build(cfg.model)
    params = sum(p.numel() for p in model.parameters()) / 1e6
    expected = TABLE_ROWS.get(rel(path))
    if expected is not None:
        assert cfg.model.bbox_head.num_classes == 20
        assert params == pytest.approx(expected, rel=TOLERANCE.get(expected, 0.01))
    # the dataset section names a registered dataset with a pipeline
    dataset_cfg = cfg.train_dataloader.dataset
    assert DATASETS.get(dataset_cfg.type) is not None
    assert dataset_cfg.pipeline[-1]['type'] == 'PackDetInputs'
    assert cfg.val_evaluator.type == 'CocoStyleMetric'


def test_default_recipe_matches_the_original():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'yolo_r18_nearby.py'))
    head = cfg.model.bbox_head
    assert cfg.model.backbone.depth == 18 and cfg.model.backbone.channel_sparsity == 0.75
    assert head.assigner.type == 'NearbyGridAssigner'
    assert head.assigner.match_iou_thres == 0.0625 and head.assigner.filter_by_max_iou
    assert head.loss_bbox.mode == 'ciou'
    assert head.loss_obj.gamma == head.loss_cls.gamma == 3.5
    assert head.lambda_coord == 0.1 and head.lambda_obj == 1.0
    assert head.anchors[0] == [(10, 13), (16, 30), (33, 23)]
    assert cfg.optim_wrapper.optimizer.type == 'Adam'
    assert cfg.train_cfg.max_epochs == 400 and cfg.train_dataloader.batch_size == 24
    assert cfg.img_scale == (512, 512)
    assert any(h.type == 'EMAHook' for h in cfg.custom_hooks)
    assert cfg.train_dataloader.dataset.pipeline[2]['type'] == 'Mosaic'
    warmup, cosine = cfg.param_scheduler
    assert warmup.type == 'LinearLR' and warmup.end == 3
    assert cosine.type == 'CosineAnnealingLR'
    assert cfg.train_dataloader.dataset.years == ('VOC2007', 'VOC2012')
    assert cfg.val_dataloader.dataset.years == ('VOC2007', )
