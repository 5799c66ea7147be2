"""configs/yolov8: they build, their recipes, and params / FLOPs against Ultralytics."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from torch.utils.flop_counter import FlopCounterMode

from yolo_toolbox.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# Ultralytics yolov8{n,s}.yaml at 20 classes (DetectionModel(..., nc=20)): its parameters
# include the 16 fixed weights of the DFL conv, which ours computes without a conv
REFERENCE = {'n': dict(params=3014748, gflops=8.103), 's': dict(params=11143340, gflops=28.474)}


def load(name):
    return Config.fromfile(osp.join(REPO, 'configs', 'yolov8', name))


def flops_640(model):
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, 3, 640, 640), mode='tensor')
    return counter.get_total_flops()  # a multiply-add counts 2, as Ultralytics' GFLOPs


@pytest.mark.parametrize('size', ['n', 's'])
def test_params_and_flops_match_yolov8(size):
    model = MODELS.build(load(f'yolov8_{size}.py').model)
    params = sum(p.numel() for p in model.parameters())
    assert params == REFERENCE[size]['params'] - 16
    if size == 'n':  # one 640 forward of the small model is enough for the FLOP check
        assert flops_640(model) / 1e9 == pytest.approx(REFERENCE['n']['gflops'], rel=0.03)


def test_reference_recipe():
    cfg = load('yolov8_s.py')
    head = cfg.model.bbox_head
    assert head.type == 'YOLOv8Head' and head.num_classes == 20
    assert (head.lambda_box, head.lambda_cls, head.lambda_dfl) == (7.5, 0.5, 1.5)
    assert head.assigner == dict(type='TaskAlignedAssigner', topk=10, alpha=0.5, beta=6.0)
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'SGD' and optimizer.lr == 0.01 and optimizer.momentum == 0.937
    assert cfg.train_dataloader.dataset.pipeline[2]['type'] == 'Mosaic'
    switch = [h for h in cfg.custom_hooks if h.type == 'PipelineSwitchHook']
    assert switch[0].last_epochs == 10
    assert 'Mosaic' not in [t['type'] for t in switch[0].switch_pipeline]
    assert cfg.param_scheduler[-1].end == cfg.train_cfg.max_epochs
    cfg_n = load('yolov8_n.py')
    assert cfg_n.model.backbone.widen_factor == 0.25 and cfg_n.optim_wrapper == cfg.optim_wrapper


def test_small_data_config():
    cfg = load('yolov8_n_256_small_data.py')
    classes = cfg.train_dataloader.dataset.metainfo.classes
    assert cfg.model.bbox_head.num_classes == len(classes) == 4
    assert cfg.model.backbone.widen_factor == 0.25
    assert cfg.train_dataloader.dataset.data_root == 'data/demo/'
    letterboxes = [t for t in cfg.test_dataloader.dataset.pipeline if t['type'] == 'Letterbox']
    assert letterboxes[0]['scale'] == (256, 256)
    assert cfg.train_dataloader.dataset.pipeline[2]['img_scale'] == (256, 256)
    assert cfg.param_scheduler[-1].end == cfg.train_cfg.max_epochs
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'
    model = MODELS.build(cfg.model)
    assert model.bbox_head.bias_init_img_size == 256


@pytest.mark.parametrize('size', ['n', 's'])
def test_params_equal_ultralytics_when_installed(size):
    tasks = pytest.importorskip('ultralytics.nn.tasks')
    reference = tasks.DetectionModel(f'yolov8{size}.yaml', nc=20, verbose=False)
    assert sum(p.numel() for p in reference.parameters()) == REFERENCE[size]['params']
