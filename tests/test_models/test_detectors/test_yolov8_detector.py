"""A YOLODetector of YOLOv8 parts, built from a config dict: loss, predict, checkpoints,
export (ONNX / OpenVINO parity through tools/deployment/export_onnx.py)."""
import importlib.util
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

from tests._tools import load_tool
from yolo_toolbox.models.detectors.export import YOLOExportModel
from yolo_toolbox.models.task_modules.coders import CoderMismatchError
from yolo_toolbox.models.task_modules.coders.base_bbox_coder import decode_settings
from yolo_toolbox.registry import MODELS
from yolo_toolbox.structures import DetDataSample

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))


def tiny_cfg(reg_max=16) -> Config:
    cfg = Config.fromfile(osp.join(REPO, 'configs/yolov8/yolov8_n_256_small_data.py'))
    cfg.model.backbone.widen_factor = 0.125
    cfg.model.bbox_head.num_classes = 3
    cfg.model.bbox_head.bbox_coder.reg_max = reg_max
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Letterbox':
            step['scale'] = (128, 128)
    return cfg


def build(reg_max=16):
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg(reg_max).model)
    model.init_weights()
    return model


def samples(num=2, size=128):
    out = []
    for i in range(num):
        sample = DetDataSample(metainfo=dict(img_shape=(size, size), ori_shape=(size, size),
                                             scale_factor=(1.0, 1.0), pad_param=(0, 0, 0, 0)))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor([[10.0 + i, 12.0, 70.0, 90.0]]), labels=torch.tensor([i]))
        out.append(sample)
    return out


def test_loss_and_predict_modes():
    model = build()
    images = torch.randn(2, 3, 128, 128)
    losses = model(images, samples(), mode='loss')
    assert set(losses) >= {'loss_cls', 'loss_bbox', 'loss_dfl'}
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    model.eval()
    with torch.no_grad():
        results = model(images, samples(), mode='predict')
        raw = model(images, mode='tensor')
    assert all(r.pred_instances.bboxes.shape[1] == 4 for r in results)
    assert [tuple(p.shape) for p in raw] == [(2, 1, 16, 16, 67), (2, 1, 8, 8, 67),
                                            (2, 1, 4, 4, 67)]


def test_checkpoint_carries_the_coder():
    state = build().state_dict()
    assert decode_settings(state['bbox_head.bbox_coder.coder_settings']) == dict(
        type='DistancePointBBoxCoder', reg_max=16)
    build().load_state_dict(state)
    with pytest.raises(CoderMismatchError, match='reg_max'):
        build(reg_max=8).load_state_dict(state)


def test_export_wrapper_traces():
    model = build().eval()
    wrapper = YOLOExportModel(model).eval()
    images = torch.rand(1, 3, 128, 128) * 255
    with torch.no_grad():
        boxes, scores = wrapper(images)
        traced = torch.jit.trace(wrapper, (images, ), check_trace=False)
        traced_boxes, traced_scores = traced(images)
    assert boxes.shape == (1, 336, 4) and scores.shape == (1, 336, 3)
    torch.testing.assert_close(traced_boxes, boxes)
    torch.testing.assert_close(traced_scores, scores)


def test_onnx_export_parity(tmp_path):
    pytest.importorskip('onnx')
    pytest.importorskip('onnxruntime')
    config = str(tmp_path / 'tiny_v8.py')
    tiny_cfg().dump(config)
    model = build()
    for branch in model.bbox_head.cls_branches:  # spread the scores: fewer ties in NMS
        branch[-1].weight.data.mul_(4)
    checkpoint = str(tmp_path / 'tiny_v8.pth')
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(dataset_meta=dict(classes=('a', 'b', 'c')))), checkpoint)
    export = load_tool('tools/deployment/export_onnx.py')
    has_openvino = importlib.util.find_spec('openvino') is not None
    argv = [config, checkpoint, '--out', str(tmp_path / 'tiny_v8.onnx'), '--runs', '1',
            '--threads', '1', '--dynamic-batch'] + (['--openvino'] if has_openvino else [])
    report = export.main(argv)
    for backend in ['onnxruntime'] + (['openvino'] if has_openvino else []):
        assert report[backend]['boxes_max_abs_diff'] < 1e-2, backend
        assert report[backend]['scores_max_abs_diff'] < 1e-4, backend
    batch2 = report['batch2_max_abs_diff']['onnxruntime']
    assert batch2['boxes_max_abs_diff'] < 1e-2 and batch2['scores_max_abs_diff'] < 1e-4
