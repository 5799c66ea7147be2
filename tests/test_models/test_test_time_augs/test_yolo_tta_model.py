"""Test-time augmentation: YOLOTTAModel (mmengine's BaseTTAModel) with the config's
tta_model / tta_pipeline, tools/test.py --tta, and the merge functions.

The numbers are those of the earlier in-detector TTA (``YOLODetector(tta_cfg=...)``):
:func:`reference_tta` is that code, frozen here, and the new path must give exactly its
boxes and scores.
"""
import math

import mmcv
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate

from yolo_toolbox.datasets.transforms import TTAPass, make_tta_pipeline
from yolo_toolbox.models.dense_heads.post_processing import (
    fuse_pass_detections,
    merge_tta_passes,
)
from yolo_toolbox.registry import MODELS
from yolo_toolbox.structures import DetDataSample
from yolo_toolbox.utils import register_all_modules

register_all_modules()
CONFIG = 'configs/demo/yolo_demo_nearby.py'


def build_detector():
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(CONFIG).model)
    return model.eval()


def build_tta(detector=None, **kwargs):
    return MODELS.build(dict(type='YOLOTTAModel', module=detector or build_detector(),
                             **kwargs)).eval()


def samples(n, size=256, width=None, **meta):
    width = width or size
    return [DetDataSample(metainfo=dict(img_shape=(size, width), ori_shape=(size, width),
                                        scale_factor=(1.0, 1.0), pad_param=[0, 0, 0, 0],
                                        **meta))
            for _ in range(n)]


def reference_tta(model, inputs, data_samples, scales=(1.0, ), flip=True, size_divisor=32,
                  merge='fuse'):
    """The earlier ``YOLODetector.predict_tta``, on a preprocessed batch."""
    height, width = inputs.shape[-2:]
    all_boxes, all_scores = [], []
    for factor in scales:
        new_h = max(size_divisor, math.ceil(height * factor / size_divisor) * size_divisor)
        new_w = max(size_divisor, math.ceil(width * factor / size_divisor) * size_divisor)
        scaled = inputs if (new_h, new_w) == (height, width) else F.interpolate(
            inputs, size=(new_h, new_w), mode='bilinear', align_corners=False)
        back = inputs.new_tensor([width / new_w, height / new_h] * 2)
        for flipped in ((False, True) if flip else (False, )):
            x = scaled.flip(-1) if flipped else scaled
            boxes, scores = model.bbox_head.decode_preds(model.bbox_head(model.extract_feat(x)))
            if flipped:
                boxes = torch.stack([new_w - boxes[..., 2], boxes[..., 1],
                                     new_w - boxes[..., 0], boxes[..., 3]], dim=-1)
            all_boxes.append(boxes * back)
            all_scores.append(scores)
    head = model.bbox_head
    return merge_tta_passes(all_boxes, all_scores, [s.metainfo for s in data_samples],
                            head.num_classes, head.test_cfg, merge)


def pass_batch(images, metas, scales, flip=True):
    """What pseudo_collate makes of a tta_pipeline's output: per pass a list of images and
    a list of samples."""
    passes = [(s, f) for s in scales for f in ((False, True) if flip else (False, ))]
    return dict(inputs=[list(images) for _ in passes],
                data_samples=[[DetDataSample(metainfo=dict(meta, tta_scale=s, tta_flip=f))
                               for meta in metas] for s, f in passes])


def assert_same(preds_a, preds_b, exact=True):
    tol = dict(rtol=0, atol=0) if exact else {}
    for a, b in zip(preds_a, preds_b):
        assert len(a) == len(b) > 0
        torch.testing.assert_close(a.bboxes, b.bboxes, **tol)
        torch.testing.assert_close(a.scores, b.scores, **tol)
        assert torch.equal(a.labels, b.labels)


def test_one_pass_equals_plain_prediction():
    tta = build_tta()
    gen = torch.Generator().manual_seed(0)
    images = [torch.randint(0, 256, (3, 256, 256), dtype=torch.uint8, generator=gen)
              for _ in range(2)]
    metas = [s.metainfo for s in samples(2)]
    with torch.no_grad():
        plain = tta.module.test_step(dict(inputs=images, data_samples=samples(2)))
        merged = tta.test_step(pass_batch(images, metas, [1.0], flip=False))
    # the fused box of one detection is its score-weighted mean: equal up to rounding
    assert_same([s.pred_instances for s in plain], [s.pred_instances for s in merged],
                exact=False)


@pytest.mark.parametrize('merge', ['fuse', 'nms'])
def test_same_numbers_as_the_earlier_detector_tta(merge):
    """6 passes (3 scales x flip), a batch of 2 of another aspect ratio: the boxes and
    scores of the earlier in-detector TTA, exactly."""
    tta = build_tta(merge_mode=merge)
    gen = torch.Generator().manual_seed(1)
    images = [torch.randint(0, 256, (3, 192, 256), dtype=torch.uint8, generator=gen)
              for _ in range(2)]
    metas = [s.metainfo for s in samples(2, 192, 256)]
    scales = (0.83, 1.0, 1.17)
    with torch.no_grad():
        merged = tta.test_step(pass_batch(images, metas, scales))
        data = tta.module.data_preprocessor(dict(inputs=images, data_samples=samples(
            2, 192, 256)), False)
        expected = reference_tta(tta.module, data['inputs'], data['data_samples'], scales,
                                 merge=merge)
    assert_same(expected, [s.pred_instances for s in merged])


def test_through_the_tta_pipeline_of_the_config(tmp_path):
    """A real image through the demo config's tta_pipeline (TestTimeAug over TTAPass),
    pseudo_collate and the TTA model: the earlier TTA's answer on the plain test input."""
    cfg = Config.fromfile(CONFIG)
    image = np.random.default_rng(0).integers(0, 256, (150, 200, 3), dtype=np.uint8)
    path = str(tmp_path / 'img.jpg')
    mmcv.imwrite(image, path)
    info = dict(img_path=path, img_id='img', instances=[
        dict(bbox=[10.0, 20.0, 60.0, 90.0], bbox_label=1, ignore_flag=0)])
    tta_out = Compose(cfg.tta_pipeline)(dict(info))
    assert [s.metainfo['tta_scale'] for s in tta_out['data_samples']] == [
        0.83, 0.83, 1.0, 1.0, 1.17, 1.17]
    assert [s.metainfo['tta_flip'] for s in tta_out['data_samples']] == [False, True] * 3
    plain_out = Compose(cfg.test_dataloader.dataset.pipeline)(dict(info))
    for inputs in tta_out['inputs']:  # every pass sees the plain letterboxed input
        assert torch.equal(inputs, plain_out['inputs'])
    tta = build_tta(**{k: v for k, v in cfg.tta_model.items() if k != 'type'})
    with torch.no_grad():
        merged = tta.test_step(pseudo_collate([tta_out]))
        data = tta.module.data_preprocessor(pseudo_collate([plain_out]), False)
        expected = reference_tta(tta.module, data['inputs'], data['data_samples'],
                                 (0.83, 1.0, 1.17))
    assert_same(expected, [s.pred_instances for s in merged])
    assert 'tta_candidates' not in merged[0] and len(merged[0].gt_instances) == 1


def test_every_pass_maps_back_to_the_input_frame(monkeypatch):
    """A stand-in network 'detects' the bright square wherever it sees it, in the pixels
    of the input it was given; after scaling and flipping back, every pass must put the
    box where the square is in the original input, so NMS leaves exactly one box."""
    tta = build_tta()
    model = tta.module
    x = torch.zeros(1, 3, 256, 320)
    x[..., 40:104, 200:264] = 1.0  # the square: x 200-264, y 40-104
    seen = []

    def decode(inputs):
        mask = inputs[0, 0] > 0.5
        ys, xs = torch.nonzero(mask, as_tuple=True)
        box = torch.stack([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]).float()
        seen.append(tuple(inputs.shape[-2:]))
        scores = torch.zeros(1, 1, model.bbox_head.num_classes)
        scores[0, 0, 2] = 0.9
        return box.view(1, 1, 4), scores

    monkeypatch.setattr(model.data_preprocessor, 'forward', lambda data, training=False: data)
    monkeypatch.setattr(model, 'extract_feat', lambda inputs: inputs)
    monkeypatch.setattr(model.bbox_head, 'forward', lambda inputs: inputs)
    monkeypatch.setattr(model.bbox_head, 'decode_preds', decode)
    data = pass_batch([None], [samples(1, 256, 320)[0].metainfo], [0.5, 1.0, 1.5])
    data['inputs'] = [x] * len(data['inputs'])  # already a preprocessed batch
    pred = tta.test_step(data)[0].pred_instances
    # sizes rounded up to multiples of 32; each once plain and once flipped
    assert sorted(set(seen)) == [(128, 160), (256, 320), (384, 480)]
    assert len(seen) == 6
    assert len(pred) == 1 and int(pred.labels[0]) == 2
    # bilinear resizing blurs the square's edge by about one pixel of the resized input:
    # at scale 0.5 that is 2 px of the original
    torch.testing.assert_close(pred.bboxes[0], torch.tensor([200., 40., 264., 104.]),
                               atol=2.0, rtol=0)
    assert pred.scores[0] == pytest.approx(0.9)


def test_bad_settings_are_refused():
    cfg = Config.fromfile(CONFIG)
    with pytest.raises(ValueError, match='YOLOTTAModel'):  # the old way says what replaced it
        MODELS.build(dict(cfg.model, tta_cfg=dict(scales=[1.0], flip=True)))
    detector = build_detector()
    with pytest.raises(ValueError, match='merge_mode'):
        build_tta(detector, merge_mode='vote')
    with pytest.raises(ValueError, match='positive'):
        TTAPass(scale=0)
    with pytest.raises(ValueError, match='positive'):
        make_tta_pipeline(cfg.test_dataloader.dataset.pipeline, scales=[])
    tta = build_tta(detector)
    data = pass_batch([torch.zeros(3, 64, 64, dtype=torch.uint8)] * 2,
                      [s.metainfo for s in samples(2, 64)], [1.0], flip=False)
    data['data_samples'][0][1].set_metainfo(dict(tta_flip=True))
    with pytest.raises(ValueError, match='mixes passes'):
        tta.test_step(data)


def test_test_py_tta_flag_wraps_the_model_and_the_pipeline(tmp_path):
    from tools.test import build_cfg, parse_args
    args = parse_args([CONFIG, 'none.pth', '--work-dir', str(tmp_path), '--tta',
                       '--tta-scales', '0.75', '1'])
    cfg = build_cfg(args)
    assert cfg.model.type == 'YOLOTTAModel' and cfg.model.merge_mode == 'fuse'
    assert cfg.model.module.type == 'YOLODetector'
    assert not any(h['type'] == 'EMAHook' for h in cfg.custom_hooks)
    pipeline = cfg.test_dataloader.dataset.pipeline
    passes = pipeline[-1]['transforms'][0]
    assert pipeline[-1]['type'] == 'TestTimeAug'
    assert [(p['scale'], p['flip']) for p in passes] == [(0.75, False), (0.75, True),
                                                         (1.0, False), (1.0, True)]
    # without --tta-scales: the config's own tta_pipeline and tta_model
    cfg = build_cfg(parse_args([CONFIG, 'x.pth', '--work-dir', str(tmp_path), '--tta',
                                '--tta-merge', 'nms']))
    assert cfg.test_dataloader.dataset.pipeline == Config.fromfile(CONFIG).tta_pipeline
    assert cfg.model.merge_mode == 'nms'
    MODELS.build(cfg.model)
    plain = build_cfg(parse_args([CONFIG, 'x.pth', '--work-dir', str(tmp_path)]))
    assert plain.model.type == 'YOLODetector' and 'tta_cfg' not in plain.model


def test_fuse_pass_detections_hand_worked():
    """Two passes: one object seen by both (fused, mean score), one seen by one pass
    (score halved), a box of another class on the same spot (not fused)."""
    pass_a = torch.tensor([[0., 0., 10., 10., 0.8, 0.], [50., 50., 60., 60., 0.5, 1.]])
    pass_b = torch.tensor([[1., 1., 11., 11., 0.6, 0.], [0., 0., 10., 10., 0.4, 1.]])
    fused = fuse_pass_detections([pass_a, pass_b], iou_thr=0.5, max_dets=10)
    # IoU of the two class-0 boxes: 81 / 119 = 0.68 > 0.5: one object
    corner = 0.6 / 1.4  # (0.8 * 0 + 0.6 * 1) / (0.8 + 0.6)
    expected = torch.tensor([[corner, corner, 10 + corner, 10 + corner, 0.7, 0.],
                             [50., 50., 60., 60., 0.25, 1.],
                             [0., 0., 10., 10., 0.2, 1.]])
    torch.testing.assert_close(fused, expected)
    assert len(fuse_pass_detections([pass_a, pass_b], iou_thr=0.5, max_dets=2)) == 2
    assert fuse_pass_detections([pass_a[:0], pass_b[:0]], 0.5, 10).shape == (0, 6)


def test_fuse_pass_detections_one_pass_unchanged_and_no_double_count():
    dets = torch.tensor([[0., 0., 10., 10., 0.9, 2.], [20., 0., 30., 12., 0.3, 2.],
                         [5., 5., 9., 9., 0.5, 0.]])  # no same-class pair above IoU 0.5
    torch.testing.assert_close(fuse_pass_detections([dets], 0.5, 10), dets[[0, 2, 1]])
    # two boxes of one pass on one object (IoU 0.68): the pass counts once, at its best
    pass_a = torch.tensor([[0., 0., 10., 10., 0.8, 0.], [1., 1., 11., 11., 0.7, 0.]])
    fused = fuse_pass_detections([pass_a, pass_a[:0]], iou_thr=0.5, max_dets=10)
    assert fused.shape == (1, 6)
    assert fused[0, 4].item() == pytest.approx(0.4)  # max(0.8, 0.7) / 2 passes
    assert fused[0, 0].item() == pytest.approx(0.7 / 1.5)  # score-weighted mean corner


def test_tta_merge_modes():
    tta = build_tta(merge_mode='nms')
    images = [torch.randint(0, 256, (3, 64, 64), dtype=torch.uint8)]
    metas = [s.metainfo for s in samples(1, 64)]
    with torch.no_grad():
        for merge in ('nms', 'fuse'):
            tta.merge_mode = merge
            pred = tta.test_step(pass_batch(images, metas, [1.0, 0.5]))[0].pred_instances
            assert pred.bboxes.shape[1] == 4 and len(pred.bboxes) == len(pred.scores) > 0
            assert (pred.scores > 0).all() and (pred.scores <= 1).all()
